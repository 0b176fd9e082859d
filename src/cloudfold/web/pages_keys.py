"""Settings and API keys: the signed-in user's keys (never their secrets), and create, rotate
and revoke through the API's use cases (`domain/apikeys`). A new key's secret is shown once,
in the answer to the form that made it, and is kept nowhere else."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from cloudfold.api.deps import context
from cloudfold.api.faces.auth_schemas import KeyCreate
from cloudfold.domain import apikeys, users
from cloudfold.domain.context import Principal
from cloudfold.runtime import Runtime
from cloudfold.security.scopes import Scope
from cloudfold.web.forms import in_session, needs, parsed, scoped_form
from cloudfold.web.render import PageRoute, page, redirect

router = APIRouter(prefix="/ui/settings", route_class=PageRoute, include_in_schema=False)


def _settings(request: Request, p: Principal, status: int = 200, **values):
    runtime: Runtime = request.app.state.runtime
    return page(request, "settings.html", status, keys=apikeys.list_for(runtime.engine, p),
                can_change="write" in p.scopes, scopes=[s.value for s in Scope if s.value in p.scopes],
                values=values.pop("values", {}), errors=values.pop("errors", {}), **values)


@router.get("")
def settings_page(request: Request, p: Principal = Depends(needs("read"))):
    return _settings(request, p)


@router.post("/keys")
async def create_key(request: Request):
    p, form = await scoped_form(request, "write")
    raw = (await request.form()).getlist("scopes")
    body, errors = parsed(KeyCreate, {"name": form.get("name", ""), "scopes": list(raw) or None,
                                      "expires_in_days": form.get("expires_in_days") or None})
    if body is None:
        return _settings(request, p, 400, values=form, errors=errors)
    scopes = [s.value for s in body.scopes] if body.scopes is not None else None
    key, plaintext = await in_session(request, lambda s: apikeys.create(
        s, context(request, p), users.get(s, p.user_id), body.name, scopes, expires_in_days=body.expires_in_days))
    return _settings(request, p, 201, created={"name": key.name, "key": plaintext})


@router.post("/keys/{key_id}/rotate")
async def rotate_key(request: Request, key_id: str):
    p, _ = await scoped_form(request, "write")
    key, plaintext = await in_session(request, lambda s: apikeys.rotate(s, context(request, p), key_id))
    return _settings(request, p, created={"name": key.name, "key": plaintext, "rotated": True})


@router.post("/keys/{key_id}/revoke")
async def revoke_key(request: Request, key_id: str):
    p, _ = await scoped_form(request, "write")
    await in_session(request, lambda s: apikeys.revoke(s, context(request, p), key_id))
    return redirect("/ui/settings")
