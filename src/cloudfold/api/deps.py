"""FastAPI dependencies shared by every face: the database session, the caller's
identity and scopes, request context for audit, and rate limits."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator

from asgi_correlation_id import correlation_id
from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer, OAuth2PasswordBearer
from sqlalchemy.orm import Session

from cloudfold.domain import auth
from cloudfold.domain.context import Context, Principal
from cloudfold.errors import Forbidden, Unauthorized
from cloudfold.runtime import Runtime

bearer_scheme = HTTPBearer(auto_error=False, description="A JWT from POST /auth/login, or an API key")
api_key_scheme = APIKeyHeader(name="X-API-Key", auto_error=False, description="An API key")
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/auth/login", auto_error=False)


def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


def get_session(runtime: Runtime = Depends(get_runtime)) -> Iterator[Session]:
    with runtime.sessions() as session:
        yield session


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _limit_ip(request: Request, runtime: Runtime, category: str = "default") -> None:
    runtime.limits.hit(category, "ip:" + client_ip(request))


def public_limit(request: Request, runtime: Runtime = Depends(get_runtime)) -> None:
    """The default limit for routes without authentication, counted per client IP."""
    _limit_ip(request, runtime)


def auth_limit(request: Request, runtime: Runtime = Depends(get_runtime)) -> None:
    """The auth endpoints' own limit (5/minute by default), per client IP."""
    _limit_ip(request, runtime, "auth")


def current_principal(
    request: Request,
    runtime: Runtime = Depends(get_runtime),
    session: Session = Depends(get_session),
    bearer: HTTPAuthorizationCredentials | None = Depends(bearer_scheme),
    api_key: str | None = Depends(api_key_scheme),
    _oauth2: str | None = Depends(oauth2_scheme),  # documents the OAuth2 password flow in /docs
) -> Principal:
    credential = api_key or (bearer.credentials if bearer else None)
    if not credential:
        _limit_ip(request, runtime)
        raise Unauthorized("Not authenticated")
    try:
        principal = auth.resolve(session, runtime.jwt_secret, credential)
    except Unauthorized:
        _limit_ip(request, runtime)  # floods of bad credentials are limited per IP
        raise
    request.state.principal = principal
    runtime.limits.hit("default", f"user:{principal.user_id}")
    return principal


def require(scope: str) -> Callable[..., Principal]:
    def dependency(principal: Principal = Depends(current_principal)) -> Principal:
        if scope not in principal.scopes:
            raise Forbidden(f"This needs the '{scope}' scope")
        return principal

    dependency.__name__ = f"require_{scope}"
    return dependency


def actions_limit(request: Request, runtime: Runtime = Depends(get_runtime),
                  principal: Principal = Depends(current_principal)) -> None:
    """Seed 000's limit on machine actions (5/minute by default), per principal."""
    runtime.limits.hit("actions", f"user:{principal.user_id}")


def context(request: Request, principal: Principal | None = None) -> Context:
    return Context(principal=principal, ip=client_ip(request), request_id=correlation_id.get())


def principal_fingerprint(authorization: str | None, api_key: str | None, ip: str) -> str:
    """A stable, non-reversible name for whoever sent a request (used by idempotency)."""
    material = api_key or authorization or f"ip:{ip}"
    return hashlib.sha256(material.encode()).hexdigest()
