"""Seed 003 API Gateway: /routes, /routes/{id}. One gateway listener (`gateway_port` on
`lb_bind`) sends a path prefix to one of your instances or load balancers (by id, or by its
URL), or to another URL the egress rule allows."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from cloudfold.api.errors import responses
from cloudfold.api.faces.localcloud_common import NAME, Body, cloud
from cloudfold.db.models import GatewayRoute
from cloudfold.domain.gateway import service
from cloudfold.domain.localcloud.core import Cloud

router = APIRouter(tags=["gateway"], responses=responses(401, 403, 429))


class RouteIn(Body):
    name: str = NAME
    prefix: str = Field(min_length=1, max_length=255, description='A path prefix: "/" or "/seg/seg" (letters, digits, '
                                                                 '"._~-"); the longest matching prefix wins')
    target: str = Field(min_length=1, max_length=2048, description="An instance or load balancer id of yours, its URL "
                                                                   "(http://host:port), or another http:// URL the "
                                                                   "egress rule allows")
    port: int | None = Field(None, ge=1, le=65535, description="An instance target's port (default: the first it "
                                                               "publishes)")
    strip_prefix: bool = Field(False, description="Send the path without the prefix (/shop/a -> /a)")


class RouteOut(BaseModel):
    id: str
    name: str
    prefix: str
    target: str
    target_kind: Literal["instance", "load_balancer", "url"]
    target_id: str | None = Field(description="The instance or load balancer it resolved to")
    strip_prefix: bool
    url: str = Field(description="The route on the gateway")
    created_at: datetime


class Deleted(BaseModel):
    success: bool = True
    id: str
    message: str


def out(c: Cloud, route: GatewayRoute) -> RouteOut:
    base = f"http://{c.settings.lb_bind}:{c.settings.gateway_port}"
    return RouteOut(id=route.id, name=route.name, prefix=route.prefix, target=route.target,
                    target_kind=route.target_kind, target_id=route.target_id, strip_prefix=route.strip_prefix,
                    url=base + ("" if route.prefix == "/" else route.prefix) + "/", created_at=route.created_at)


@router.get("/routes", response_model=list[RouteOut], summary="List your gateway routes")
def list_routes(c: Cloud = Depends(cloud("read"))):
    return [out(c, r) for r in service.list_mine(c)]


@router.post("/routes", status_code=201, response_model=RouteOut, summary="Create a gateway route",
             responses=responses(400, 404, 409, 422, 503))
def create_route(body: RouteIn, c: Cloud = Depends(cloud("write"))):
    return out(c, service.create(c, body.name, body.prefix, body.target, strip_prefix=body.strip_prefix,
                                 port=body.port))


@router.get("/routes/{route_id}", response_model=RouteOut, summary="One gateway route", responses=responses(404))
def get_route(route_id: str, c: Cloud = Depends(cloud("read"))):
    return out(c, service.get(c, route_id))


@router.delete("/routes/{route_id}", response_model=Deleted, summary="Delete a gateway route",
               responses=responses(404, 503))
def delete_route(route_id: str, c: Cloud = Depends(cloud("write"))):
    route = service.delete(c, route_id)
    return Deleted(id=route.id, message=f"route {route.prefix!r} deleted")
