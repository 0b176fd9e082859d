"""POST /auth/login, shared by two documents and chosen by content type:

- form-urlencoded ``username``/``password`` (seed 002, OAuth2 password flow) -> JWT;
- JSON ``{"email", "password"}`` (seed 003) -> ``{user, api_key}``.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta

from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from cloudfold.api.deps import auth_limit, context, get_runtime, public_limit
from cloudfold.api.errors import field_errors, responses
from cloudfold.api.faces.auth_schemas import CloudUser, LoginJson, LoginJsonOut, TokenOut
from cloudfold.db.base import utcnow
from cloudfold.domain import apikeys, audit, users
from cloudfold.errors import BadRequest, CloudfoldError, RateLimited, UnsupportedMediaType
from cloudfold.runtime import Runtime
from cloudfold.security import jwt as jwt_tokens

router = APIRouter(tags=["auth"], dependencies=[Depends(public_limit), Depends(auth_limit)])

FORM_SCHEMA = {
    "type": "object",
    "required": ["username", "password"],
    "properties": {
        "username": {"type": "string", "description": "The account's email"},
        "password": {"type": "string", "format": "password"},
        "grant_type": {"type": "string", "enum": ["password"]},
        "scope": {"type": "string"},
    },
}
LOGIN_OPENAPI = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {"schema": FORM_SCHEMA},
            "application/json": {"schema": {"$ref": "#/components/schemas/LoginJson"}},
        },
    }
}


def _invalid(errors: list[dict]) -> RequestValidationError:
    return RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in errors])


async def _credentials(request: Request) -> tuple[str, str, bool]:
    """Return (email, password, wants_json) from either body format."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype == "application/json":
        raw = await request.body()
        try:
            data = json.loads(raw or b"null")
        except ValueError:
            raise BadRequest("Malformed JSON body") from None
        try:
            body = LoginJson.model_validate(data)
        except ValidationError as exc:  # seed 003 answers 400 (the form's seed 002, 422)
            raise BadRequest("Request validation failed", detail=field_errors(_invalid(
                exc.errors(include_url=False, include_context=False)))) from None
        return str(body.email), body.password, True
    if ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.form()
        missing = [f for f in ("username", "password") if not isinstance(form.get(f), str) or not form.get(f)]
        if missing:
            raise _invalid([{"loc": (f,), "msg": "Field required", "type": "missing"} for f in missing])
        return str(form["username"]), str(form["password"]), False
    raise UnsupportedMediaType("Send application/x-www-form-urlencoded (username, password) or "
                               "application/json (email, password)")


@router.post(
    "/auth/login",
    summary="Log in: a JWT for form bodies (seed 002), an API key for JSON bodies (seed 003)",
    response_model=TokenOut | LoginJsonOut,
    openapi_extra=LOGIN_OPENAPI,
    responses=responses(400, 401, 415, 422, 429),
)
async def login(request: Request, runtime: Runtime = Depends(get_runtime)):
    email, password, wants_json = await _credentials(request)
    return await run_in_threadpool(_login, runtime, context(request), email, password, wants_json)


def _login(runtime: Runtime, ctx, email: str, password: str, wants_json: bool):
    with runtime.sessions() as session:
        try:
            user = users.authenticate(session, ctx, email, password, throttle=runtime.limits)
        except RateLimited:
            raise  # refused before any check: audited (sampled) by the error handler
        except CloudfoldError as exc:
            exc.extra["audited"] = True  # authenticate() wrote the failed attempt
            raise
        ctx = dataclasses.replace(ctx, principal=users.principal_for(user))
        method = "api_key" if wants_json else "jwt"
        audit.record(session, ctx, "auth.login", target=f"user:{user.uuid}", actor=user.email,
                     detail={"method": "password", "token": method})
        if wants_json:
            ttl = timedelta(days=runtime.settings.login_key_ttl_days)
            _, key = apikeys.create(session, ctx, user, name="login", expires_at=utcnow() + ttl, kind="login")
            return LoginJsonOut(user=CloudUser(id=user.uuid, email=user.email, name=user.full_name or None),
                                api_key=key)
        token = jwt_tokens.issue(runtime.jwt_secret, user.uuid, user.token_version,
                                 runtime.settings.jwt_ttl_minutes)
        session.commit()
        return TokenOut(access_token=token, expires_in=runtime.settings.jwt_ttl_minutes * 60)

