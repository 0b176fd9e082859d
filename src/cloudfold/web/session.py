"""Who is looking at a page: the session cookie's principal (the same JWT check and revocation
as the API's), and the CSRF check every state-changing page request passes."""

from __future__ import annotations

from fastapi import Request

from cloudfold.api.deps import principal_of
from cloudfold.domain.context import Principal
from cloudfold.errors import Unauthorized
from cloudfold.runtime import Runtime
from cloudfold.security.tokens import looks_like_api_key
from cloudfold.web import cookies
from cloudfold.web.render import SignInNeeded


async def page_principal(request: Request) -> Principal:
    """The signed-in user, or `SignInNeeded` (the login page). The cookie holds a JWT only;
    it is checked, limited and counted as the API's credentials are (`deps.principal_of`)."""
    runtime: Runtime = request.app.state.runtime
    token = cookies.session_token(request)
    try:
        principal = await principal_of(request, None if token and looks_like_api_key(token) else token)
    except Unauthorized:
        raise SignInNeeded() from None
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
