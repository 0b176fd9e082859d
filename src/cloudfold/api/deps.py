"""FastAPI dependencies shared by every face: the database session, the caller's
identity and scopes, request context for audit, and rate limits."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Callable

from asgi_correlation_id import correlation_id
from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer, OAuth2PasswordBearer
from sqlalchemy.orm import Session

from cloudfold.domain import auth
from cloudfold.domain.context import Context, Principal
from cloudfold.errors import Forbidden, Unauthorized
from cloudfold.runtime import Runtime

bearer_scheme = HTTPBearer(auto_error=False, description="A JWT from POST /auth/login, or an API key")
api_key_scheme = APIKeyHeader(name="X-API-Key", auto_error=False, description="An API key")
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/auth/login", auto_error=False)


async def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


async def get_session(runtime: Runtime = Depends(get_runtime)) -> AsyncIterator[Session]:
    """A session for the request. Opening one does no IO (the connection is taken on first use,
    in the endpoint's thread); closing it returns the connection, which on PostgreSQL is a
    round trip (done in the thread pool) and on SQLite a local rollback (done inline)."""
    session = runtime.sessions()
    try:
        yield session
    finally:
        if session.in_transaction() and runtime.engine.dialect.name != "sqlite":
            await run_in_threadpool(session.close)
        else:
            session.close()


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


# The dependencies below are async so that the auth chain costs no thread-pool hop when it does
# no blocking IO (a cached principal, in-memory rate limits); blocking work is sent to the pool.

async def _hit(runtime: Runtime, category: str, identity: str) -> None:
    if runtime.limits.shared:  # Redis: a network round trip
        await run_in_threadpool(runtime.limits.hit, category, identity)
    else:
        runtime.limits.hit(category, identity)


async def _limit_ip(request: Request, runtime: Runtime, category: str = "default") -> None:
    await _hit(runtime, category, "ip:" + client_ip(request))


async def public_limit(request: Request, runtime: Runtime = Depends(get_runtime)) -> None:
    """The default limit for routes without authentication, counted per client IP."""
    await _limit_ip(request, runtime)


async def auth_limit(request: Request, runtime: Runtime = Depends(get_runtime)) -> None:
    """The auth endpoints' own limit (5/minute by default), per client IP."""
    await _limit_ip(request, runtime, "auth")


def _resolve(runtime: Runtime, credential: str) -> Principal:
    with runtime.sessions() as session:
        return auth.resolve(session, runtime.jwt_secret, credential, runtime.principals)


async def current_principal(
    request: Request,
    runtime: Runtime = Depends(get_runtime),
    bearer: HTTPAuthorizationCredentials | None = Depends(bearer_scheme),
    api_key: str | None = Depends(api_key_scheme),
    _oauth2: str | None = Depends(oauth2_scheme),  # documents the OAuth2 password flow in /docs
) -> Principal:
    credential = api_key or (bearer.credentials if bearer else None)
    if not credential:
        await _limit_ip(request, runtime)
        raise Unauthorized("Not authenticated")
    principal = runtime.principals.get(credential)
    if principal is None:
        try:
            principal = await run_in_threadpool(_resolve, runtime, credential)
        except Unauthorized:
            await _limit_ip(request, runtime)  # floods of bad credentials are limited per IP
            raise
    request.state.principal = principal
    await _hit(runtime, "default", f"user:{principal.user_id}")
    return principal


def require(scope: str) -> Callable[..., Principal]:
    async def dependency(principal: Principal = Depends(current_principal)) -> Principal:
        if scope not in principal.scopes:
            raise Forbidden(f"This needs the '{scope}' scope")
        return principal

    dependency.__name__ = f"require_{scope}"
    return dependency


async def actions_limit(request: Request, runtime: Runtime = Depends(get_runtime),
                        principal: Principal = Depends(current_principal)) -> None:
    """Seed 000's limit on machine actions (5/minute by default), per principal."""
    await _hit(runtime, "actions", f"user:{principal.user_id}")


def context(request: Request, principal: Principal | None = None) -> Context:
    return Context(principal=principal, ip=client_ip(request), request_id=correlation_id.get())


def principal_fingerprint(authorization: str | None, api_key: str | None, ip: str) -> str:
    """A stable, non-reversible name for whoever sent a request (used by idempotency)."""
    material = api_key or authorization or f"ip:{ip}"
    return hashlib.sha256(material.encode()).hexdigest()
