"""Who is looking at a page: the session cookie's principal (the same JWT check and revocation
as the API's), and the CSRF check every state-changing page request passes."""

from __future__ import annotations

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from cloudfold.api.deps import _hit, _limit_ip
from cloudfold.domain import auth
from cloudfold.domain.context import Principal
from cloudfold.errors import Unauthorized
from cloudfold.runtime import Runtime
from cloudfold.security.tokens import looks_like_api_key
from cloudfold.web import cookies
from cloudfold.web.render import SignInNeeded


def _resolve(runtime: Runtime, token: str) -> Principal:
    with runtime.sessions() as session:
        return auth.resolve(session, runtime.jwt_secret, token)


async def page_principal(request: Request) -> Principal:
    """The signed-in user, or `SignInNeeded` (the login page). The cookie holds a JWT only."""
    runtime: Runtime = request.app.state.runtime
    token = cookies.session_token(request)
    if not token or looks_like_api_key(token):
        await _limit_ip(request, runtime)
        raise SignInNeeded()
    try:
        principal = await run_in_threadpool(_resolve, runtime, token)
    except Unauthorized:
        await _limit_ip(request, runtime)
        raise SignInNeeded() from None
    await _hit(runtime, "default", f"user:{principal.user_id}")
    request.state.ui_principal = request.state.principal = principal  # .principal: the refusal audit's actor
    request.state.ui_csrf = cookies.csrf_token(runtime.jwt_secret, principal.token_id or "")
    return principal


async def checked_form(request: Request) -> dict[str, str]:
    """The form of a signed-in state-changing request, once its CSRF token is checked."""
    principal = await page_principal(request)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    presented = form.get(cookies.CSRF_FIELD) or request.headers.get(cookies.CSRF_HEADER)
    cookies.check_csrf(request.app.state.runtime.jwt_secret, principal.token_id, presented)
    return form
