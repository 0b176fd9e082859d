"""What a route asks of its caller, read from its dependency tree: the one answer the `/`
index and the OpenAPI schema's security requirements both give."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from cloudfold.security.scopes import Scope

SCOPE_ORDER = [s.value for s in Scope]  # read < write < admin


def _calls(dependant: Dependant) -> Iterator[Any]:
    """Every dependency of the route, however deep (a face's own dependency that requires a
    scope counts as much as a `require(...)` on the route)."""
    for dep in dependant.dependencies:
        yield dep.call
        yield from _calls(dep)


def auth_of(route: APIRoute) -> str:
    """The strongest scope a `require(scope)` in the tree asks, else `authenticated` (any
    valid credential: a dependency marked `authenticates`), else `none`."""
    scopes, authenticated = set(), False
    for call in _calls(route.dependant):
        scope = getattr(call, "scope", None)
        if isinstance(scope, str):
            scopes.add(scope)
        authenticated = authenticated or bool(getattr(call, "authenticates", False))
    if scopes:
        return max(scopes, key=lambda s: SCOPE_ORDER.index(s) if s in SCOPE_ORDER else len(SCOPE_ORDER))
    return "authenticated" if authenticated else "none"
