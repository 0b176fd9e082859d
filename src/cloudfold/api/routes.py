"""The application's routes as one flat sequence.

Newer FastAPI releases keep each included router as a single nested entry of
``app.routes``; ``fastapi.routing.iter_route_contexts`` flattens them (with the effective
path and methods). Older releases have no such function and a flat ``app.routes``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

try:
    from fastapi.routing import iter_route_contexts as _flatten
except ImportError:  # FastAPI without nested routers: app.routes is already flat
    def _flatten(routes):  # type: ignore[no-redef]
        return iter(routes)


def iter_routes(app: Any) -> Iterator[tuple[Any, Any]]:
    """Yield (route, original): ``route`` has the effective path, methods and matches();
    ``original`` is the route object as declared (APIRoute, Route, ...)."""
    for route in _flatten(app.routes):
        yield route, getattr(route, "original_route", route)


def amend_openapi(app: Any, amend: Callable[[dict[str, Any]], None]) -> None:
    """Let ``amend`` change the OpenAPI schema once, when it is first built (calls chain)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            amend(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi
