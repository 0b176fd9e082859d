"""FastAPI dependencies shared by every face: the database session, the caller's
identity and scopes, request context for audit, and rate limits."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

from asgi_correlation_id import correlation_id
from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security.utils import get_authorization_scheme_param
from sqlalchemy.orm import Session

from cloudfold.domain import auth
from cloudfold.domain.context import Context, Principal
from cloudfold.errors import Forbidden, Unauthorized
from cloudfold.runtime import Runtime

T = TypeVar("T")

async def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


async def read(runtime: Runtime, fn: Callable[..., T], *args: Any) -> T:
    """Run a short read-only domain function ``fn(engine, *args)``: on SQLite inline, on the
    event loop's own connection (`db/engine.make_loop_engine`); on a database server in the
    thread pool. ``fn`` must not write, and must not hold its connection past its return."""
    if runtime.loop_engine is not None:
        return fn(runtime.loop_engine, *args)
    return await run_in_threadpool(fn, runtime.engine, *args)


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


def credential_of(request: Request) -> str | None:
    """The credential a request carries: `X-API-Key`, else `Authorization: Bearer …` (a JWT
    or an API key). Read from the headers directly; the OpenAPI schema documents the three
    ways (`api/openapi_auth.py`)."""
    api_key = request.headers.get("x-api-key")
    if api_key:
        return api_key
    scheme, token = get_authorization_scheme_param(request.headers.get("authorization"))
    return token if scheme.lower() == "bearer" and token else None


async def principal_of(request: Request, credential: str | None) -> Principal:
    """The principal ``credential`` names (401 without a valid one, floods limited per IP),
    counted against the per-user rate limit and kept in `request.state` (the error handler's
    actor). The API's credential comes from its headers (`authenticate`); a page's from the
    session cookie (`web/session.py`)."""
    runtime: Runtime = request.app.state.runtime
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


async def authenticate(request: Request) -> Principal:
    """Who is calling, once per request (kept in `request.state`, which the error handler
    reads too): a 401 without a valid credential, the per-user rate limit otherwise."""
    principal = getattr(request.state, "principal", None)
    if principal is not None:
        return principal
    return await principal_of(request, credential_of(request))


# The dependencies that authenticate take the request alone: every dependency FastAPI solves
# costs time on every request (the read path's yardstick is bench/bench_http.py).

async def current_principal(request: Request) -> Principal:
    return await authenticate(request)


current_principal.authenticates = True  # type: ignore[attr-defined]  (read by api/route_auth.py)


def require(scope: str) -> Callable[..., Principal]:
    async def dependency(request: Request) -> Principal:
        principal = await authenticate(request)
        if scope not in principal.scopes:
            raise Forbidden(f"This needs the '{scope}' scope")
        return principal

    dependency.__name__ = f"require_{scope}"
    dependency.authenticates = True  # type: ignore[attr-defined]
    dependency.scope = scope  # type: ignore[attr-defined]
    return dependency


async def count_action(runtime: Runtime, principal: Principal) -> None:
    """Seed 000's limit on machine actions (5/minute by default), per principal: 429 past it."""
    await _hit(runtime, "actions", f"user:{principal.user_id}")


async def actions_limit(request: Request, runtime: Runtime = Depends(get_runtime),
                        principal: Principal = Depends(current_principal)) -> None:
    await count_action(runtime, principal)


def context(request: Request, principal: Principal | None = None) -> Context:
    return Context(principal=principal, ip=client_ip(request), request_id=correlation_id.get())


def principal_fingerprint(authorization: str | None, api_key: str | None, ip: str) -> str:
    """A stable, non-reversible name for whoever sent a request (used by idempotency)."""
    material = api_key or authorization or f"ip:{ip}"
    return hashlib.sha256(material.encode()).hexdigest()
