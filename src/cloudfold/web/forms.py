"""What every dashboard page with a form shares: the scope a page needs (the API's own
scope check), running a domain use case in a session off the event loop, and putting an
error next to the field that caused it, in the API's own words."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool

from cloudfold.api.errors import audit_refusal, status_for
from cloudfold.domain.context import Principal
from cloudfold.errors import CloudfoldError, Forbidden
from cloudfold.runtime import Runtime
from cloudfold.web.render import redirect
from cloudfold.web.session import checked_form, page_principal

T = TypeVar("T")
FORM = "form"  # the errors key of a message that names no field


def check_scope(principal: Principal, scope: str) -> None:
    """The API's refusal (`deps.require`) of a principal without ``scope``."""
    if scope not in principal.scopes:
        raise Forbidden(f"This needs the '{scope}' scope")


def needs(scope: str) -> Callable[..., Any]:
    """A page dependency: the signed-in principal, holding ``scope`` (else 403)."""

    async def dependency(request: Request) -> Principal:
        principal = await page_principal(request)
        check_scope(principal, scope)
        return principal

    dependency.__name__ = f"page_needs_{scope}"
    return dependency


async def scoped_form(request: Request, scope: str) -> tuple[Principal, dict[str, str]]:
    """A state-changing form after its CSRF check, from a principal holding ``scope``."""
    form = await checked_form(request)
    principal: Principal = request.state.ui_principal
    check_scope(principal, scope)
    return principal, form


async def in_session(request: Request, work: Callable[[Any], T]) -> T:
    """``work(session)`` on a session of its own, in the thread pool (domain calls block)."""
    runtime: Runtime = request.app.state.runtime

    def run() -> T:
        with runtime.sessions() as session:
            return work(session)

    return await run_in_threadpool(run)


def field_of(message: str, fields: Iterable[str]) -> str:
    """The form field an error message names (the API's messages name the field), else FORM."""
    for field in fields:
        if re.search(rf"(?<![A-Za-z0-9_]){re.escape(field)}(?![A-Za-z0-9_])", message, re.IGNORECASE):
            return field
    return FORM


def parsed(model: type[BaseModel], data: dict[str, Any]) -> tuple[BaseModel | None, dict[str, str]]:
    """``data`` checked by the API's own request model: (the model, {}) or (None, field -> message)."""
    try:
        return model.model_validate(data), {}
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for e in exc.errors():
            errors.setdefault(str(e["loc"][0]) if e["loc"] else FORM, e["msg"])
        return None, errors


async def submitted(request: Request, model: type[BaseModel], body_of: Callable[[dict[str, str]], dict[str, Any]],
                    fields: Sequence[str], act: Callable[[Any, Principal, Any], Any],
                    again: Callable[[Any, Principal, dict[str, str], int, dict[str, str]], Response], done: str,
                    aliases: Mapping[str, str] | None = None) -> Response:
    """A create form, after its CSRF check, from a principal holding `write`: ``body_of(form)``
    checked by the API's request ``model``, then ``act(session, principal, body)`` (the API's use
    case) and a 303 to ``done``; else ``again(session, principal, form, status, errors)``, the
    page with each error (pydantic's or the domain's words, the API's status) next to the field
    of ``fields`` it names (``aliases``: a word in a message -> its field), refusals audited."""
    p, form = await scoped_form(request, "write")
    body, errors = parsed(model, body_of(form))
    if body is None:
        errors = {k if k in fields else FORM: v for k, v in errors.items()}
        return await in_session(request, lambda s: again(s, p, form, 400, errors))
    try:
        await in_session(request, lambda s: act(s, p, body))
    except CloudfoldError as exc:
        await audit_refusal(request, exc)
        aliases = aliases or {}
        field = field_of(exc.message, (*fields, *aliases))
        field = aliases.get(field, field)
        status, errors = status_for(exc), {field if field in fields else FORM: exc.message}
        return await in_session(request, lambda s: again(s, p, form, status, errors))
    return redirect(done)


async def removed(request: Request, act: Callable[[Any, Principal], Any], done: str) -> Response:
    """A delete button (confirmed in the browser): ``act(session, principal)``, the API's use
    case, after the CSRF and scope checks; its refusal (404, 409) is the error page."""
    p, _ = await scoped_form(request, "write")
    await in_session(request, lambda s: act(s, p))
    return redirect(done)


def pager(path: str, chosen: dict[str, Any], page_no: int, size: int, total: int) -> dict[str, Any]:
    """A list's page links keeping its chosen filters (empty ones left out)."""
    pages = max(1, -(-total // size))

    def link(n: int) -> str:
        return f"{path}?" + urlencode({**{k: v for k, v in chosen.items() if v}, "page": n})

    return {"page_no": page_no, "pages": pages, "prev": link(page_no - 1) if page_no > 1 else None,
            "next": link(page_no + 1) if page_no < pages else None}
