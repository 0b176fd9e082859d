"""The dashboard's session cookie and CSRF tokens.

The cookie holds a JWT from the one login use case (`domain/login.py`), so it is checked,
expires and is revoked (`domain/sessions.logout`: its jti) exactly like an API caller's JWT.
It is HttpOnly, SameSite=Lax, and Secure when the page is served over HTTPS. The API itself
never reads it: only /ui routes do, so no API route can be driven by a cross-site form.

CSRF: every state-changing /ui request carries a token (a form field or the `X-CSRF-Token`
header) that is an HMAC of the session's jti under the server's secret; before sign-in (the
login form) it is the HMAC of a random pre-session cookie. A cross-site page can neither read
the token nor compute it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import Request, Response

from cloudfold.errors import Forbidden

SESSION_COOKIE = "cf_session"
PRESESSION_COOKIE = "cf_presession"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
PATH = "/ui"


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def set_session(request: Request, response: Response, token: str, max_age: int) -> None:
    response.set_cookie(SESSION_COOKIE, token, max_age=max_age, path=PATH, httponly=True, samesite="lax",
                        secure=_secure(request))
    response.delete_cookie(PRESESSION_COOKIE, path=PATH)


def clear_session(request: Request, response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path=PATH, httponly=True, samesite="lax", secure=_secure(request))


def session_token(request: Request) -> str | None:
    return request.cookies.get(SESSION_COOKIE) or None


def presession(request: Request) -> tuple[str, bool]:
    """The signed-out forms' binding: the browser's pre-session cookie (made when missing:
    the second value says so, and `keep_presession` then sets it)."""
    value = request.cookies.get(PRESESSION_COOKIE)
    return (value, False) if value else (secrets.token_urlsafe(32), True)


def keep_presession(request: Request, response: Response, value: str) -> None:
    response.set_cookie(PRESESSION_COOKIE, value, max_age=3600, path=PATH, httponly=True, samesite="lax",
                        secure=_secure(request))


def csrf_token(secret: str, binding: str) -> str:
    return hmac.new(secret.encode(), b"cloudfold-ui-csrf:" + binding.encode(), hashlib.sha256).hexdigest()


def check_csrf(secret: str, binding: str | None, presented: str | None) -> None:
    """Refuse (403) a state-changing request whose token is missing or not this session's."""
    if not binding or not presented or not hmac.compare_digest(csrf_token(secret, binding), presented):
        raise Forbidden("Missing or invalid CSRF token: reload the page and try again")
