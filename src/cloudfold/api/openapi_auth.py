"""The OpenAPI schema's security: the three ways a caller authenticates (`api/deps.py` reads
them from the headers directly, which costs less per request than FastAPI's security
dependencies), and on every operation that needs a credential, the requirement."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

from cloudfold.api.route_auth import auth_of
from cloudfold.api.routes import amend_openapi, iter_routes

SCHEMES: dict[str, dict[str, Any]] = {
    "HTTPBearer": {"type": "http", "scheme": "bearer", "description": "A JWT from POST /auth/login, or an API key"},
    "APIKeyHeader": {"type": "apiKey", "in": "header", "name": "X-API-Key", "description": "An API key"},
    "OAuth2PasswordBearer": {"type": "oauth2", "flows": {"password": {"scopes": {}, "tokenUrl": "/auth/login"}}},
}
REQUIREMENT = [{name: []} for name in SCHEMES]


def install(app: FastAPI) -> None:
    def amend(schema: dict[str, Any]) -> None:
        schema.setdefault("components", {}).setdefault("securitySchemes", {}).update(SCHEMES)
        for route, original in iter_routes(app):
            if not isinstance(original, APIRoute) or not original.include_in_schema or auth_of(original) == "none":
                continue
            operations = schema.get("paths", {}).get(route.path, {})
            for method in route.methods or ():
                if method.lower() in operations:
                    operations[method.lower()]["security"] = REQUIREMENT

    amend_openapi(app, amend)
