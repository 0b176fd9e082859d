"""POST /auth/login, shared by two documents and chosen by content type:

- form-urlencoded ``username``/``password`` (seed 002, OAuth2 password flow) -> JWT;
- JSON ``{"email", "password"}`` (seed 003) -> ``{user, api_key}``.
"""

from __future__ import annotations

import json

from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from cloudfold.api.deps import auth_limit, context, get_runtime, public_limit
from cloudfold.api.errors import field_errors, responses
from cloudfold.api.faces.auth_schemas import CloudUser, LoginJson, LoginJsonOut, TokenOut
from cloudfold.domain import login as login_case
from cloudfold.errors import BadRequest, UnsupportedMediaType
from cloudfold.runtime import Runtime

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
        done = login_case.login(session, ctx, runtime.settings, runtime.jwt_secret, runtime.limits, email, password,
                           login_case.API_KEY if wants_json else login_case.JWT)
        if wants_json:
            return LoginJsonOut(user=CloudUser(id=done.user.uuid, email=done.user.email,
                                               name=done.user.full_name or None), api_key=done.token)
        return TokenOut(access_token=done.token, expires_in=done.expires_in)
