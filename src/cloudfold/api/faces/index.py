"""API discovery (seed 000): / lists the families, /api/docs the specification,
/api/schema the JSON schemas."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from cloudfold import __version__
from cloudfold.api.deps import current_principal, public_limit
from cloudfold.api.routes import iter_routes
from cloudfold.security.scopes import Scope

router = APIRouter(tags=["index"], dependencies=[Depends(public_limit)])


SCOPE_ORDER = [s.value for s in Scope]  # read < write < admin


def _calls(dependant: Dependant) -> Iterator[Any]:
    """Every dependency of the route, however deep (a face's own dependency that requires a
    scope counts as much as a `require(...)` on the route)."""
    for dep in dependant.dependencies:
        yield dep.call
        yield from _calls(dep)


def auth_of(route: APIRoute) -> str:
    """What a caller needs, read from the route's dependency tree: the strongest scope a
    `require(scope)` asks, else `authenticated` (any valid credential), else `none`."""
    scopes, authenticated = set(), False
    for call in _calls(route.dependant):
        name = getattr(call, "__name__", "")
        if name.startswith("require_"):
            scopes.add(name.removeprefix("require_"))
        authenticated = authenticated or call is current_principal
    if scopes:
        return max(scopes, key=lambda s: SCOPE_ORDER.index(s) if s in SCOPE_ORDER else len(SCOPE_ORDER))
    return "authenticated" if authenticated else "none"


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
