"""Signing in and out of the dashboard, and the password-reset forms: the login, logout and
reset use cases of the API (`domain/login.py`, `domain/sessions.py`, `domain/passwords.py`)
behind HTML forms, each with its CSRF token."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from cloudfold.api.deps import auth_limit, context, public_limit
from cloudfold.api.errors import audit_refusal, status_for
from cloudfold.domain import login as login_case
from cloudfold.domain import passwords, sessions
from cloudfold.errors import CloudfoldError
from cloudfold.runtime import Runtime
from cloudfold.web import cookies
from cloudfold.web.render import PageRoute, page, redirect
from cloudfold.web.session import checked_form

router = APIRouter(prefix="/ui", route_class=PageRoute, include_in_schema=False,
                   dependencies=[Depends(public_limit)])


def _safe_next(target: str | None) -> str:
    """Only a path of the dashboard itself (no open redirect to another site)."""
    if target and target.startswith("/ui") and not target.startswith("//") and "\\" not in target:
        return target
    return "/ui"


async def _presession_form(request: Request) -> dict[str, str]:
    """A signed-out form (login, reset), checked against the pre-session cookie's token."""
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    cookies.check_csrf(request.app.state.runtime.jwt_secret, request.cookies.get(cookies.PRESESSION_COOKIE),
                       form.get(cookies.CSRF_FIELD))
    return form


def _signed_out_page(request: Request, name: str, status: int = 200, **values):
    binding, new = cookies.presession(request)
    response = page(request, name, status, csrf=cookies.csrf_token(request.app.state.runtime.jwt_secret, binding),
                    **values)
    if new:
        cookies.keep_presession(request, response, binding)
    return response


@router.get("/login")
async def login_form(request: Request, next: str | None = None):
    return _signed_out_page(request, "login.html", next=_safe_next(next))


@router.post("/login", dependencies=[Depends(auth_limit)])
async def login(request: Request):
    form = await _presession_form(request)
    email, password, target = form.get("email", "").strip(), form.get("password", ""), _safe_next(form.get("next"))
    errors = {f: "Required" for f, v in (("email", email), ("password", password)) if not v}
    if errors:
        return _signed_out_page(request, "login.html", 400, next=target, email=email, errors=errors)
    runtime: Runtime = request.app.state.runtime

    def run():
        with runtime.sessions() as session:
            return login_case.login(session, context(request), runtime.settings, runtime.jwt_secret, runtime.limits,
                                    email, password, login_case.JWT)

    try:
        done = await run_in_threadpool(run)
    except CloudfoldError as exc:
        await audit_refusal(request, exc)  # a refusal the use case did not record (a rate limit)
        return _signed_out_page(request, "login.html", status_for(exc), next=target, email=email,
                                errors={"form": exc.message})
    response = redirect(target)
    cookies.set_session(request, response, done.token, done.expires_in or 3600)
    return response


@router.post("/logout")
async def logout(request: Request):
    await checked_form(request)
    principal = request.state.ui_principal
    runtime: Runtime = request.app.state.runtime

    def run():
        with runtime.sessions() as session:
            sessions.logout(session, context(request, principal))

    await run_in_threadpool(run)
    response = redirect("/ui/login")
    cookies.clear_session(request, response)
    return response


@router.get("/forgot")
async def forgot_form(request: Request):
    return _signed_out_page(request, "forgot.html")


@router.post("/forgot", dependencies=[Depends(auth_limit)])
async def forgot(request: Request):
    form = await _presession_form(request)
    email = form.get("email", "").strip()
    if not email:
        return _signed_out_page(request, "forgot.html", 400, errors={"email": "Required"})
    runtime: Runtime = request.app.state.runtime
    s = runtime.settings

    def run():
        with runtime.sessions() as session:
            passwords.request_reset(session, context(request), runtime.notifier, email, s.reset_token_ttl_minutes,
                                    s.public_url)

    await run_in_threadpool(run)
    return _signed_out_page(request, "forgot.html", notice=passwords.FORGOT_MESSAGE)


@router.get("/reset")
async def reset_form(request: Request, token: str = ""):
    return _signed_out_page(request, "reset.html", token=token)


@router.post("/reset", dependencies=[Depends(auth_limit)])
async def reset(request: Request):
    form = await _presession_form(request)
    token, new_password = form.get("token", "").strip(), form.get("new_password", "")
    errors = {f: "Required" for f, v in (("token", token), ("new_password", new_password)) if not v}
    if not errors:
        runtime: Runtime = request.app.state.runtime

        def run():
            with runtime.sessions() as session:
                passwords.reset(session, context(request), token, new_password)

        try:
            await run_in_threadpool(run)
            return _signed_out_page(request, "login.html", next="/ui", notice="Password updated: sign in")
        except CloudfoldError as exc:
            errors = {"form": exc.message}
    return _signed_out_page(request, "reset.html", 400, token=token, errors=errors)
