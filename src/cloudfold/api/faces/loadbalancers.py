"""Seed 003 Load Balancers: /loadbalancers, /loadbalancers/{id}, /loadbalancers/{id}/targets.
Fields as ELB target groups and thecloud's implementation have them: a listener port, an
algorithm, an active HTTP health check, targets (instance + port) with their health."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from cloudfold.api.errors import responses
from cloudfold.api.faces.localcloud_common import NAME, NAME_PATTERN, Body, cloud
from cloudfold.db.models import LoadBalancer
from cloudfold.domain.loadbalancers import service, targets
from cloudfold.domain.localcloud.core import Cloud

router = APIRouter(tags=["loadbalancers"], responses=responses(401, 403, 429))
Algorithm = Literal["round_robin", "least_conn"]
TargetState = Literal["healthy", "unhealthy", "unknown", "draining"]
PORT = Field(None, ge=1, le=65535, description="The listener's port on the host (chosen from the load balancer "
                                               "port range when left out); taken: 409")


class HealthCheckIn(Body):
    path: str | None = Field(None, min_length=1, max_length=255, pattern=r"^/[A-Za-z0-9._~/?=&%-]*$",
                             description="HTTP path probed with GET (2xx/3xx is healthy); default /")
    interval_s: int | None = Field(None, ge=1, le=300, description="Seconds between checks (default 5)")
    timeout_s: int | None = Field(None, ge=1, le=60, description="Seconds a check may take, ≤ interval (default 2)")
    healthy_threshold: int | None = Field(None, ge=1, le=10,
                                          description="Passing checks in a row that put a target back (default 2)")
    unhealthy_threshold: int | None = Field(None, ge=1, le=10,
                                            description="Failing checks in a row that take a target out (default 3)")


class HealthCheck(BaseModel):
    path: str
    interval_s: int
    timeout_s: int
    healthy_threshold: int
    unhealthy_threshold: int


class LoadBalancerIn(Body):
    name: str = NAME
    port: int | None = PORT
    algorithm: Algorithm = Field("round_robin", description="round_robin or least_conn (fewest open connections)")
    health_check: HealthCheckIn | None = None
    vpc_id: str | None = Field(None, max_length=36, description="One of your VPCs (recorded)")


class LoadBalancerUpdate(Body):
    name: str | None = Field(None, min_length=1, max_length=63, pattern=NAME_PATTERN)
    port: int | None = PORT
    algorithm: Algorithm | None = None
    health_check: HealthCheckIn | None = None


class TargetIn(Body):
    instance_id: str = Field(min_length=1, max_length=36, description="One of your instances")
    port: int = Field(ge=1, le=65535, description="The instance's port; the instance must publish it on the host")


class TargetOut(BaseModel):
    instance_id: str
    port: int
    state: TargetState = Field(description="From the proxy's health checks (unknown: not checked yet, or the "
                                           "proxy is not running)")
    created_at: datetime


class LoadBalancerOut(BaseModel):
    id: str
    name: str
    port: int
    address: str = Field(description="Where to send traffic: http://<lb_bind>:<port>")
    algorithm: Algorithm
    health_check: HealthCheck
    vpc_id: str | None
    status: Literal["active"] = "active"
    targets: list[TargetOut]
    created_at: datetime
    updated_at: datetime


class Deleted(BaseModel):
    success: bool = True
    id: str
    message: str


def _targets(lb: LoadBalancer, states: dict[str, str]) -> list[TargetOut]:
    return [TargetOut(instance_id=t.instance_id, port=t.port, state=states[t.instance_id], created_at=t.created_at)
            for t in lb.targets]


def out(c: Cloud, lb: LoadBalancer, states: dict[str, str] | None = None) -> LoadBalancerOut:
    if states is None:
        states = targets.health_of(c, [lb])[lb.id]
    return LoadBalancerOut(id=lb.id, name=lb.name, port=lb.port, address=f"http://{c.settings.lb_bind}:{lb.port}",
                           algorithm=lb.algorithm, health_check=HealthCheck(**lb.health_check), vpc_id=lb.vpc_id,
                           targets=_targets(lb, states), created_at=lb.created_at, updated_at=lb.updated_at)


def _dump(model: BaseModel | None) -> dict | None:
    return model.model_dump(exclude_none=True) if model is not None else None


@router.get("/loadbalancers", response_model=list[LoadBalancerOut], summary="List your load balancers")
def list_lbs(c: Cloud = Depends(cloud("read"))):
    lbs = service.list_mine(c)
    states = targets.health_of(c, lbs)
    return [out(c, lb, states[lb.id]) for lb in lbs]


@router.post("/loadbalancers", status_code=201, response_model=LoadBalancerOut, summary="Create a load balancer",
             responses=responses(400, 404, 409, 422, 503))
def create_lb(body: LoadBalancerIn, c: Cloud = Depends(cloud("write"))):
    lb = service.create(c, body.name, port=body.port, algorithm=body.algorithm, health=_dump(body.health_check),
                        vpc_id=body.vpc_id)
    return out(c, lb)


@router.get("/loadbalancers/{lb_id}", response_model=LoadBalancerOut, summary="One load balancer, its targets' health",
            responses=responses(404))
def get_lb(lb_id: str, c: Cloud = Depends(cloud("read"))):
    return out(c, service.get(c, lb_id))


@router.put("/loadbalancers/{lb_id}", response_model=LoadBalancerOut, summary="Change a load balancer",
            responses=responses(400, 404, 409, 422, 503))
def update_lb(lb_id: str, body: LoadBalancerUpdate, c: Cloud = Depends(cloud("write"))):
    changes = {**body.model_dump(exclude={"health_check"}), "health_check": _dump(body.health_check)}
    return out(c, service.update(c, lb_id, changes))


@router.delete("/loadbalancers/{lb_id}", response_model=Deleted, summary="Delete a load balancer",
               responses=responses(404, 409, 503))
def delete_lb(lb_id: str, c: Cloud = Depends(cloud("write"))):
    lb = service.delete(c, lb_id)
    return Deleted(id=lb.id, message=f"load balancer {lb.name!r} deleted")


@router.get("/loadbalancers/{lb_id}/targets", response_model=list[TargetOut], summary="A load balancer's targets",
            responses=responses(404))
def list_targets(lb_id: str, c: Cloud = Depends(cloud("read"))):
    lb = service.get(c, lb_id)
    return _targets(lb, targets.health_of(c, [lb])[lb.id])


@router.post("/loadbalancers/{lb_id}/targets", status_code=201, response_model=LoadBalancerOut,
             summary="Put one of your instances behind a load balancer", responses=responses(400, 404, 409, 422, 503))
def add_target(lb_id: str, body: TargetIn, c: Cloud = Depends(cloud("write"))):
    targets.attach(c, lb_id, body.instance_id, body.port)
    return out(c, service.get(c, lb_id))


@router.delete("/loadbalancers/{lb_id}/targets/{instance_id}", response_model=LoadBalancerOut,
               summary="Take an instance out of a load balancer", responses=responses(404, 503))
def remove_target(lb_id: str, instance_id: str, c: Cloud = Depends(cloud("write"))):
    targets.detach(c, lb_id, instance_id)
    return out(c, service.get(c, lb_id))
