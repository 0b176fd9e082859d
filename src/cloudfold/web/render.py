"""Rendering pages: the templates, the headers every page carries (a Content-Security-Policy
without inline scripts, no framing, no caching of signed-in pages), and the error page a
page route answers with instead of the API's JSON."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates

from cloudfold import __version__
from cloudfold.api.errors import audit_refusal, status_for
from cloudfold.errors import CloudfoldError, RateLimited
from cloudfold.web import STATIC_URL, TEMPLATES_DIR

templates = Jinja2Templates(directory=str(TEMPLATES_DIR))  # autoescapes .html

# Scripts only from cloudfold itself ('self': /static), never inline; styles likewise.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
           "Referrer-Policy": "same-origin", "Cache-Control": "no-store"}


class SignInNeeded(Exception):
    """No valid session cookie: a page answers with the login page."""


def page(request: Request, name: str, status: int = 200, **values: Any) -> HTMLResponse:
    values.setdefault("principal", getattr(request.state, "ui_principal", None))
    values.setdefault("csrf", getattr(request.state, "ui_csrf", ""))
    response = templates.TemplateResponse(request, name, {"static": STATIC_URL, "version": __version__, **values},
                                          status_code=status)
    response.headers.update(HEADERS)
    return response


def redirect(url: str) -> RedirectResponse:
    response = RedirectResponse(url, status_code=303)
    response.headers.update(HEADERS)
    return response


class PageRoute(APIRoute):
    """A /ui route: a refusal (a domain error, bad input, no session) is shown as a page with
    the API's own message and status, never as JSON or a stack trace."""

    def get_route_handler(self):
        handler = super().get_route_handler()

        async def handle(request: Request):
            try:
                return await handler(request)
            except SignInNeeded:
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                if request.method != "GET":
                    return page(request, "error.html", 401, message="Sign in first", code="UNAUTHORIZED")
                return redirect(f"/ui/login?next={target}" if target != "/ui" else "/ui/login")
            except CloudfoldError as exc:
                await audit_refusal(request, exc)  # a refusal is audited as the API's are
                response = page(request, "error.html", status_for(exc), message=exc.message, code=exc.code)
                if isinstance(exc, RateLimited):
                    response.headers["Retry-After"] = str(exc.retry_after)
                return response
            except RequestValidationError as exc:
                fields = "; ".join(f"{'.'.join(str(p) for p in e['loc'][1:])}: {e['msg']}" for e in exc.errors())
                return page(request, "error.html", 400, message=f"Invalid input ({fields})", code="BAD_REQUEST")

        return handle
