"""API discovery (seed 000): / lists the families, /api/docs the specification,
/api/schema the JSON schemas."""

from __future__ import annotations

from collections import defaultdict

from fastapi import APIRouter, Depends, Request
from fastapi.routing import APIRoute

from cloudfold import __version__
from cloudfold.api.deps import public_limit
from cloudfold.api.route_auth import auth_of
from cloudfold.api.routes import iter_routes

router = APIRouter(tags=["index"], dependencies=[Depends(public_limit)])


@router.get("/", summary="API root: the families and their endpoints")
def root(request: Request) -> dict:
    families: dict[str, list[dict]] = defaultdict(list)
    for route, original in iter_routes(request.app):
        if isinstance(original, APIRoute) and original.include_in_schema:
            family = original.tags[0] if original.tags else "other"
            for method in sorted(route.methods):
                families[family].append({"method": method, "path": route.path, "auth": auth_of(original),
                                         "summary": original.summary or ""})
    return {
        "name": "cloudfold",
        "version": __version__,
        "docs": "/docs",
        "openapi": "/openapi.json",
        "families": [{"name": name, "endpoints": eps} for name, eps in sorted(families.items())],
        "total_endpoints": sum(len(eps) for eps in families.values()),
    }


@router.get("/api/docs", summary="The API specification (OpenAPI 3)")
def spec(request: Request) -> dict:
    return request.app.openapi()


@router.get("/api/schema", summary="JSON schemas for request and response validation")
def schemas(request: Request) -> dict:
    return {"schemas": request.app.openapi().get("components", {}).get("schemas", {})}
