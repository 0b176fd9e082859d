"""The Accounts page: list, add (the form's fields come from each driver's declarations),
edit, test and sync a cloud account, with the sync's progress live. Every step is the API's
use case (`domain/accounts`, `domain/sync`), checked by the API's request models."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.orm import Session

from cloudfold.api.deps import context, get_session
from cloudfold.api.errors import audit_refusal, status_for
from cloudfold.api.faces.provider_schemas import ProviderCreate, ProviderUpdate
from cloudfold.db.models import Account, Task
from cloudfold.domain import accounts, policy, sync, tasks
from cloudfold.domain.context import Principal
from cloudfold.drivers import registry
from cloudfold.errors import CloudfoldError
from cloudfold.runtime import Runtime
from cloudfold.web.forms import FORM, field_of, in_session, needs, parsed, scoped_form
from cloudfold.web.render import PageRoute, page, redirect

router = APIRouter(prefix="/ui/accounts", route_class=PageRoute, include_in_schema=False)

SECRET_WORDS = ("key", "secret", "password", "token", "json", "content")
RUNNING = ("pending", "queued", "running")


def form_fields(provider_type: str) -> dict[str, list[dict[str, Any]]]:
    """The account form's credential and config fields, as the provider's driver declares them."""
    try:
        cls = registry.driver_class(provider_type)
        required, optional, config = cls.credential_fields, cls.optional_credential_fields, cls.config_fields
    except Exception:  # noqa: BLE001 - a driver whose SDK is missing: the generic fields only
        required = optional = config = ()

    def field(prefix: str, name: str, needed: bool) -> dict[str, Any]:
        return {"name": f"{prefix}{name}", "key": name, "required": needed,
                "secret": prefix == "cred_" and any(w in name for w in SECRET_WORDS)}

    return {"credentials": [field("cred_", n, True) for n in required] + [field("cred_", n, False) for n in optional],
            "config": [field("cfg_", n, False) for n in config]}


def _objects(provider_type: str, form: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    fields = form_fields(provider_type)
    pick = lambda group: {f["key"]: form[f["name"]].strip() for f in fields[group] if form.get(f["name"], "").strip()}  # noqa: E731
    return pick("credentials"), pick("config")


def _may_change(p: Principal, account: Account) -> bool:
    return "write" in p.scopes and policy.may(p, policy.CHANGE, account)


@router.get("")
def accounts_page(request: Request, session: Session = Depends(get_session), p: Principal = Depends(needs("read"))):
    return page(request, "accounts.html", accounts=accounts.list_for(session, p), can_add="write" in p.scopes)


def _new_form(request: Request, provider_type: str, status: int = 200, values: dict | None = None,
              errors: dict | None = None):
    return page(request, "account_new.html", status, types=registry.PROVIDER_TYPES, provider_type=provider_type,
                fields=form_fields(provider_type), values=values or {}, errors=errors or {})


@router.get("/new")
def new_account(request: Request, type: str = Query("aws", max_length=32), p: Principal = Depends(needs("write"))):
    return _new_form(request, type if type in registry.PROVIDER_TYPES else "aws")


async def _refused(request: Request, exc: CloudfoldError, fields) -> tuple[int, dict[str, str]]:
    """A domain refusal as the form shows it: its status, its message next to the field it names."""
    await audit_refusal(request, exc)
    return status_for(exc), {field_of(exc.message, fields): exc.message}


@router.post("/new")
async def create_account(request: Request):
    p, form = await scoped_form(request, "write")
    provider_type = form.get("provider_type", "")
    shown = provider_type if provider_type in registry.PROVIDER_TYPES else "aws"
    credentials, config = _objects(shown, form)
    body, errors = parsed(ProviderCreate, {"provider_type": provider_type, "display_name": form.get("display_name", ""),
                                           "id": form.get("id") or None, "region": form.get("region") or None,
                                           "credentials": credentials, "config": config})
    if body is None:
        return _new_form(request, shown, 400, form, errors)
    runtime: Runtime = request.app.state.runtime
    try:
        account = await in_session(request, lambda s: accounts.create(
            s, context(request, p), runtime.secretbox, runtime.settings, provider_type=body.provider_type,
            display_name=body.display_name, slug=body.id, region=body.region, credentials=body.credentials,
            config=body.config, owner_id=p.user_id).slug)
    except CloudfoldError as exc:
        names = ["id", "display_name", "region", "provider_type", *credentials, *config,
                 *(f["key"] for g in form_fields(shown).values() for f in g)]
        status, errors = await _refused(request, exc, names)
        errors = {_form_name(shown, k): v for k, v in errors.items()}
        return _new_form(request, shown, status, form, errors)
    return redirect(f"/ui/accounts/{account}")


def _form_name(provider_type: str, key: str) -> str:
    """The form field holding a credentials or config key (the messages name the key)."""
    for group in form_fields(provider_type).values():
        for f in group:
            if f["key"] == key:
                return f["name"]
    return key if key != "provider_type" else FORM


def _detail(request: Request, session: Session, p: Principal, slug: str, status: int = 200, **values):
    account = accounts.get(session, p, slug)
    task = session.get(Task, account.sync_task_id) if account.sync_task_id else None
    log = tasks.logs(session, task.id, 200)[-5:] if task else []
    return page(request, "account.html", status, account=account, task=task, log=log,
                syncing=bool(task and task.status in RUNNING), can_change=_may_change(p, account),
                fields=form_fields(account.provider_type), values=values.pop("values", {}),
                errors=values.pop("errors", {}), **values)


@router.get("/{slug}")
def account_page(request: Request, slug: str, session: Session = Depends(get_session),
                 p: Principal = Depends(needs("read"))):
    return _detail(request, session, p, slug)


@router.post("/{slug}")
async def edit_account(request: Request, slug: str):
    p, form = await scoped_form(request, "write")
    runtime: Runtime = request.app.state.runtime
    provider_type = await in_session(request, lambda s: accounts.get(s, p, slug).provider_type)
    credentials, config = _objects(provider_type, form)
    data: dict[str, Any] = {"display_name": form.get("display_name", ""), "region": form.get("region") or None}
    if credentials:
        data["credentials"] = credentials
    if config:
        data["config"] = config
    body, errors = parsed(ProviderUpdate, data)
    if body is None:
        return await in_session(request, lambda s: _detail(request, s, p, slug, 400, values=form, errors=errors))

    def run(session: Session):
        account = accounts.get(session, p, slug)
        accounts.check_can_change(account, p)
        accounts.update(session, context(request, p), runtime.secretbox, runtime.settings, account,
                        body.model_dump(exclude_unset=True))

    try:
        await in_session(request, run)
    except CloudfoldError as exc:
        if status_for(exc) == 404:
            raise
        status, errors = await _refused(request, exc, ["display_name", "region", *credentials, *config])
        errors = {_form_name(provider_type, k): v for k, v in errors.items()}
        return await in_session(request, lambda s: _detail(request, s, p, slug, status, values=form, errors=errors))
    return redirect(f"/ui/accounts/{slug}")


@router.post("/{slug}/test")
async def test_account(request: Request, slug: str):
    p, _ = await scoped_form(request, "read")  # the API's health check needs `read`
    runtime: Runtime = request.app.state.runtime
    await in_session(request, lambda s: accounts.check_health(s, accounts.get(s, p, slug), runtime.secretbox,
                                                               runtime.settings))
    return redirect(f"/ui/accounts/{slug}")


@router.post("/{slug}/sync")
async def sync_account(request: Request, slug: str):
    p, _ = await scoped_form(request, "write")
    runtime: Runtime = request.app.state.runtime
    await in_session(request, lambda s: sync.request_sync(s, runtime.queue, accounts.get(s, p, slug), p.user_id,
                                                          runtime.settings))
    return redirect(f"/ui/accounts/{slug}")
