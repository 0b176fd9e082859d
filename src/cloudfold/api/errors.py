"""One error shape for every failure:

    {"error": CODE, "code": CODE, "message": "...", "detail": ..., "success": false}

``detail`` is the message for simple errors (what seed 002's clients read) and the list of
field errors (loc, msg, type) for 422. Stack traces never reach a client. Refused requests
(401, 403, 429) are written to the audit log here, unless the domain already did; those of
anonymous callers (401, 429) are counted and sampled (domain/refusal_samples.py).
"""

from __future__ import annotations

import logging
from typing import Any

from asgi_correlation_id import correlation_id
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from cloudfold.api.routes import amend_openapi, iter_routes
from cloudfold.domain import audit
from cloudfold.domain.context import Context
from cloudfold.errors import (
    STATUS_BY_CODE,
    CloudfoldError,
    PayloadTooLarge,
    RateLimited,
    UnsupportedMediaType,
)

log = logging.getLogger("cloudfold.api")

CODE_BY_STATUS = {status: code for code, status in STATUS_BY_CODE.items()}
REFUSALS = {401, 403, 429}
ANONYMOUS_SAMPLED = {401, 429}  # refusals of callers without a valid credential: one row per source and minute


class ErrorResponse(BaseModel):
    error: str
    code: str
    message: str
    detail: Any = None
    success: bool = False
    request_id: str | None = None


def code_for_status(status: int) -> str:
    if status in CODE_BY_STATUS:
        return CODE_BY_STATUS[status]
    return "INTERNAL_ERROR" if status >= 500 else "BAD_REQUEST"


def error_response(
    status: int, message: str, detail: Any = None, code: str | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    code = code or code_for_status(status)
    body = ErrorResponse(
        error=code, code=code, message=message, detail=message if detail is None else detail,
        request_id=correlation_id.get(),
    )
    # X-Request-ID is added by CorrelationIdMiddleware on the way out; setting it here too
    # would send the header twice. Only handle_unexpected answers outside that middleware.
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


def status_for(exc: CloudfoldError) -> int:
    if isinstance(exc, PayloadTooLarge):
        return 413
    if isinstance(exc, UnsupportedMediaType):
        return 415
    return STATUS_BY_CODE.get(exc.code, 500)


async def _audit_refusal(request: Request, status: int, message: str) -> None:
    runtime = getattr(request.app.state, "runtime", None)
    if runtime is None:
        return
    route = request.scope.get("route")
    action = f"{request.method} {getattr(route, 'path', request.url.path)}"
    ctx = Context(
        principal=getattr(request.state, "principal", None),
        ip=request.client.host if request.client else None,
        request_id=correlation_id.get(),
    )
    if ctx.principal is None and status in ANONYMOUS_SAMPLED:  # counted, written in batches
        runtime.refusals.add(ctx.ip, action, request.url.path, status, message, ctx.request_id)
        return

    def write() -> None:
        with runtime.sessions() as session:
            audit.record(session, ctx, action, target=request.url.path, result=audit.BLOCKED,
                         status_code=status, detail={"reason": message})
            session.commit()

    try:
        await run_in_threadpool(write)
    except Exception:  # an audit failure must not turn a 401 into a 500
        log.exception("could not audit a refused request")


async def audit_refusal(request: Request, exc: CloudfoldError) -> None:
    """Audit a refused request (401/403/429) the domain has not recorded itself: every face's
    refusals, the web pages' too (web/render.PageRoute)."""
    status = status_for(exc)
    if status in REFUSALS and not exc.extra.get("audited"):
        await _audit_refusal(request, status, exc.message)


async def handle_cloudfold_error(request: Request, exc: CloudfoldError) -> JSONResponse:
    status = status_for(exc)
    headers: dict[str, str] = {}
    if isinstance(exc, RateLimited):
        headers["Retry-After"] = str(exc.retry_after)
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    await audit_refusal(request, exc)
    return error_response(status, exc.message, exc.detail, code=exc.code, headers=headers)


def field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")} for e in exc.errors()]


# Which status a request that fails validation gets is the route's document's: seeds 000, 003
# and 004 say 400, seed 002 (and FastAPI's default, kept for seed 001 and our own routes) 422.
# Picked by the route's family (its first tag); the families seeds 002 and 003 share ("auth")
# by path.
VALIDATION_400_FAMILIES = {"index", "monitor", "vmControl", "serviceControl", "topology", "domainStatus", "actions",  # seed 000
                           "apikeys", "instances", "vpcs", "volumes", "autoscaling", "loadbalancers", "gateway", "caches",  # seed 003
                           "containers", "node", "templates", "analytics"}  # seed 004
VALIDATION_400_PATHS = {"/auth/register", "/auth/forgot-password", "/auth/reset-password"}  # seed 003's auth


def answers_400(path: str | None, route: Any) -> bool:
    tags = getattr(route, "tags", None) or []
    return path in VALIDATION_400_PATHS or bool(tags and tags[0] in VALIDATION_400_FAMILIES)


def validation_status(request: Request) -> int:
    route = request.scope.get("route")
    return 400 if answers_400(getattr(route, "path", None), route) else 422


async def handle_validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = field_errors(exc)
    if any(e["type"] == "json_invalid" for e in errors):
        return error_response(400, "Malformed JSON body", errors)
    return error_response(validation_status(request), "Request validation failed", errors, code="BAD_REQUEST")


def _allowed_methods(request: Request) -> str:
    """Every method of every route on this path (Starlette names only the first route's)."""
    methods: set[str] = set()
    for route, _ in iter_routes(request.app):
        if getattr(route, "methods", None) and route.matches(request.scope)[0] != Match.NONE:
            methods |= route.methods
    return ", ".join(sorted(methods))


async def handle_http_exception(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    message = exc.detail if isinstance(exc.detail, str) else "Request failed"
    if exc.status_code == 404 and message == "Not Found":
        message = "Resource not found"
    headers = dict(getattr(exc, "headers", None) or {})
    if exc.status_code == 405 and (allowed := _allowed_methods(request)):
        headers["Allow"] = allowed
    return error_response(exc.status_code, message, headers=headers)


async def handle_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    # Starlette runs this handler in ServerErrorMiddleware, outside CorrelationIdMiddleware,
    # so the response carries its request id itself.
    request_id = correlation_id.get()
    return error_response(500, "Internal server error", headers={"X-Request-ID": request_id} if request_id else None)


def install(app: FastAPI) -> None:
    app.add_exception_handler(CloudfoldError, handle_cloudfold_error)
    app.add_exception_handler(RequestValidationError, handle_validation_error)
    app.add_exception_handler(StarletteHTTPException, handle_http_exception)
    app.add_exception_handler(Exception, handle_unexpected)


def document_validation_status(app: FastAPI) -> None:
    """The OpenAPI schema names the status each route answers to a validation failure:
    FastAPI documents 422 everywhere; routes answering 400 get their 422 entry moved to 400."""

    def amend(schema: dict[str, Any]) -> None:
        for route, original in iter_routes(app):
            if not answers_400(route.path, original):
                continue
            path = route.path
            for method in getattr(route, "methods", None) or ():
                op = schema.get("paths", {}).get(path, {}).get(method.lower())
                if op and "422" in op.get("responses", {}):
                    moved = op["responses"].pop("422")
                    op["responses"].setdefault("400", {**moved, "description": "BAD_REQUEST"})

    amend_openapi(app, amend)


def document_server_error(app: FastAPI) -> None:
    """Every operation can answer 500 (an unexpected failure, in the one error shape)."""
    entry = {"description": code_for_status(500),
             "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}}

    def amend(schema: dict[str, Any]) -> None:
        for path in schema.get("paths", {}).values():
            for op in path.values():
                if isinstance(op, dict) and "responses" in op:
                    op["responses"].setdefault("500", entry)

    amend_openapi(app, amend)


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for error statuses, all in the one shape."""
    return {s: {"model": ErrorResponse, "description": code_for_status(s)} for s in statuses}
