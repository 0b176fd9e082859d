"""Cloud accounts: registration with validated, encrypted credentials; health; removal.

Accounts belong to whoever registered them (the `local` account found at start belongs to
no one and is visible to all). Admins see every account. Who may see or change one is
decided by `domain/policy`; `visible` and `check_can_change` ask it.
"""

from __future__ import annotations

import configparser
import json
import logging
import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, object_session

from cloudfold.db.base import as_record_id, utcnow
from cloudfold.db.models import Account, Resource
from cloudfold.domain import audit, egress, policy, quotas
from cloudfold.domain.context import Context, Principal
from cloudfold.drivers import registry
from cloudfold.drivers.base import AccountSpec, Driver, DriverError, DriverNotImplemented, InvalidCredentials
from cloudfold.errors import BadRequest, Conflict, Forbidden, NotFound
from cloudfold.security.secretbox import SecretBox, SecretBoxError
from cloudfold.settings import Settings

SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
UNUSABLE_PATH = "credentials_path does not name a readable file inside the credentials directory"
log = logging.getLogger(__name__)


def visible(stmt, viewer: Principal):
    return policy.accounts(stmt, viewer)


def list_for(session: Session, viewer: Principal, provider_type: str | None = None) -> list[Account]:
    stmt = visible(select(Account), viewer).order_by(Account.id)
    if provider_type:
        stmt = stmt.where(Account.provider_type == provider_type)
    return list(session.scalars(stmt))


def first_local(session: Session, viewer: Principal | None = None) -> Account | None:
    """The first registered, active `local` account (the one the caller can see, when given)."""
    stmt = (select(Account).where(Account.provider_type == "local", Account.is_active.is_(True))
            .order_by(Account.id).limit(1))
    return session.scalar(stmt if viewer is None else visible(stmt, viewer))


def visible_ids(session: Session, viewer: Principal) -> list[int] | None:
    """Ids of the accounts the viewer may see; None means all (admins)."""
    if viewer.is_admin:
        return None
    return list(session.scalars(visible(select(Account.id), viewer)))


def get(session: Session, viewer: Principal, ref: str | int) -> Account:
    """By slug (seed 001) or integer id (seed 002); 404 when unknown or not the viewer's."""
    stmt = visible(select(Account), viewer)
    number = as_record_id(ref)
    if number is not None:
        account = session.scalar(stmt.where(or_(Account.id == number, Account.slug == str(ref))))
    else:
        account = session.scalar(stmt.where(Account.slug == str(ref)))
    if account is None:
        raise NotFound("Provider account not found")
    return account


def _check_type(provider_type: str) -> None:
    if provider_type not in registry.PROVIDER_TYPES:
        raise BadRequest(f"Unsupported provider type {provider_type!r}; supported: {', '.join(registry.PROVIDER_TYPES)}")


def _check_path(settings: Settings, credentials_path: str | None) -> None:
    if credentials_path is None:
        return
    resolve_credentials_path(settings, credentials_path)


def resolve_credentials_path(settings: Settings, credentials_path: str) -> Path:
    """The file inside the credentials directory; one message for every kind of miss, so an
    error never tells whether some file exists."""
    if (not isinstance(credentials_path, str) or not credentials_path.strip() or len(credentials_path) > 1024
            or any(ord(c) < 32 or ord(c) == 127 for c in credentials_path)):
        raise BadRequest("credentials_path must be a relative file name without control characters")
    if settings.credentials_dir is None:
        raise BadRequest("credentials_path needs CLOUDFOLD_CREDENTIALS_DIR to be configured")
    base = settings.credentials_dir.resolve()
    try:
        path = (base / credentials_path).resolve()
        usable = base in path.parents and path.is_file()
    except (OSError, ValueError):
        usable = False
    if not usable:
        raise BadRequest(UNUSABLE_PATH)
    return path


def read_credentials_file(path: Path) -> dict[str, Any]:
    """The file's fields; errors name the problem, never the file's contents."""
    try:
        text = path.read_text()
    except (OSError, UnicodeError):
        raise BadRequest("credentials file could not be read as text") from None
    try:
        data = json.loads(text)
        if isinstance(data, dict):
            return data
    except ValueError:
        pass
    parser = configparser.ConfigParser()
    try:
        parser.read_string(text if text.lstrip().startswith("[") else "[DEFAULT]\n" + text)
    except configparser.Error:
        raise BadRequest("credentials file is neither JSON nor INI") from None
    section = parser.sections()[0] if parser.sections() else "DEFAULT"
    return dict(parser[section])


def _validate(provider_type: str, credentials: dict[str, Any], config: dict[str, Any], has_path: bool) -> None:
    if not isinstance(credentials, dict) or not isinstance(config, dict):
        raise BadRequest("credentials and config must be objects")
    if has_path and not credentials:
        return  # the file is read and checked when the driver opens
    try:
        registry.validate(provider_type, credentials, config)
    except InvalidCredentials as exc:
        raise BadRequest(f"Malformed credentials: {exc}") from None


def _admin_only(provider_type: str, config: dict[str, Any], credentials_path: Any) -> list[str]:
    """What in a registration reaches the host itself (only admins may register it)."""
    found = []
    if provider_type == "local":
        found.append("a local engine")
    if isinstance(config, dict) and "docker_host" in config:
        found.append("a docker_host")
    if credentials_path is not None:
        found.append("a credentials_path")
    if provider_type == "proxmox" and isinstance(config, dict) and isinstance(config.get("verify_ssl"), str) \
            and config["verify_ssl"].strip().lower() not in ("true", "false"):
        found.append("a CA bundle path (verify_ssl)")
    return found


def _check_rights(session: Session, ctx: Context, action: str, target: str, provider_type: str,
                  config: dict[str, Any], credentials_path: Any) -> None:
    """403 (audited as blocked, nothing stored) when a non-admin registers what reaches the host."""
    if _trusted(ctx):
        return
    found = _admin_only(provider_type, config, credentials_path)
    if not found:
        return
    message = f"Only admins may register {' or '.join(found)}"
    session.rollback()
    audit.record(session, ctx, action, target=target, result=audit.BLOCKED, refused=Forbidden,
                 detail={"reason": message})
    session.commit()
    raise Forbidden(message, audited=True)


def _trusted(ctx: Context) -> bool:
    return ctx.principal is None or ctx.principal.is_admin


def destinations(provider_type: str, config: dict[str, Any], *, trusted: bool,
                 settings: Settings) -> list[egress.Approved]:
    """Every address the account's driver will connect to, checked by the egress rule
    (BadRequest when refused); nothing to check for trusted owners."""
    if trusted or not isinstance(config, dict):
        return []
    if provider_type == "aws" and config.get("endpoint_url") is not None:
        return [egress.check_url(config["endpoint_url"], trusted=False, settings=settings, what="endpoint_url")]
    if provider_type == "proxmox" and config.get("host") is not None:
        from cloudfold.drivers.proxmox.connection import address

        try:
            host, port = address(config)
        except InvalidCredentials as exc:
            raise BadRequest(f"Malformed config: {exc}") from None
        return [egress.check_host(host, port, trusted=False, settings=settings, what="host")]
    return []


def owner_trusted(account: Account) -> bool:
    """Accounts owned by no one or by an admin connect anywhere; others follow the egress rule."""
    return egress.owner_trusted(object_session(account), account.owner_id)


def create(
    session: Session,
    ctx: Context,
    box: SecretBox,
    settings: Settings,
    *,
    provider_type: str,
    display_name: str,
    slug: str | None = None,
    region: str | None = None,
    credentials_path: str | None = None,
    credentials: dict[str, Any] | None = None,
    config: dict[str, Any] | None = None,
    owner_id: int | None = None,
) -> Account:
    quotas.claim(session, settings, ctx.principal, {"accounts": 1})
    _check_type(provider_type)
    slug = slug or f"{provider_type}-{uuid.uuid4().hex[:8]}"
    if not SLUG.match(slug):
        raise BadRequest("id must be 1-100 letters, digits, '.', '_' or '-', starting with a letter or digit")
    credentials, config = credentials or {}, config or {}
    _check_rights(session, ctx, "provider.create", f"provider:{slug}", provider_type, config, credentials_path)
    _check_path(settings, credentials_path)
    _validate(provider_type, credentials, config, credentials_path is not None)
    destinations(provider_type, config, trusted=_trusted(ctx), settings=settings)
    account = Account(slug=slug, provider_type=provider_type, display_name=display_name, region=region,
                      credentials_path=credentials_path, credentials_sealed=box.seal(credentials) if credentials else None,
                      config=config, owner_id=owner_id)
    session.add(account)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Conflict(f"A provider with id {slug!r} already exists") from None
    audit.record(session, ctx, "provider.create", target=f"provider:{slug}",
                 detail={"provider_type": provider_type, "credential_fields": sorted(credentials)})
    session.commit()
    return account


def update(session: Session, ctx: Context, box: SecretBox, settings: Settings, account: Account,
           changes: dict[str, Any]) -> Account:
    new_config = changes.get("config")
    _check_rights(session, ctx, "provider.update", f"provider:{account.slug}", account.provider_type,
                  new_config or {}, changes.get("credentials_path"))
    if "credentials_path" in changes:
        _check_path(settings, changes["credentials_path"])
    if "credentials" in changes or "config" in changes:
        creds = changes.get("credentials")
        creds = creds if creds is not None else spec(account, box, settings, read_file=False).credentials
        _validate(account.provider_type, creds, changes.get("config") or account.config,
                  (changes.get("credentials_path") or account.credentials_path) is not None)
    if new_config is not None:
        destinations(account.provider_type, new_config, trusted=_trusted(ctx), settings=settings)
    for field in ("display_name", "region", "credentials_path", "config", "is_active"):
        if field in changes:
            setattr(account, field, changes[field])
    if changes.get("credentials") is not None:
        account.credentials_sealed = box.seal(changes["credentials"])
    fields = sorted(k if k != "credentials" else "credentials (sealed)" for k in changes)
    audit.record(session, ctx, "provider.update", target=f"provider:{account.slug}", detail={"fields": fields})
    session.commit()
    return account


def delete(session: Session, ctx: Context, account: Account, force: bool = False) -> int:
    tracked = session.scalar(select(func.count()).select_from(Resource).where(Resource.account_id == account.id)) or 0
    if tracked and not force:
        raise Conflict(f"Provider {account.slug!r} still tracks {tracked} resource(s); delete with force=true "
                       "to remove them from the inventory too")
    session.delete(account)
    audit.record(session, ctx, "provider.delete", target=f"provider:{account.slug}",
                 detail={"resources_removed": tracked})
    session.commit()
    return tracked


def spec(account: Account, box: SecretBox, settings: Settings, read_file: bool = True) -> AccountSpec:
    try:
        credentials = box.open(account.credentials_sealed)
    except SecretBoxError as exc:
        raise DriverError(str(exc)) from exc
    if read_file and account.credentials_path:
        try:
            credentials = {**read_credentials_file(resolve_credentials_path(settings, account.credentials_path)),
                           **credentials}
        except BadRequest as exc:
            raise DriverError(exc.message) from exc
    return AccountSpec(id=account.slug, provider_type=account.provider_type, region=account.region,
                       credentials=credentials, config=dict(account.config or {}))


@contextmanager
def driver(account: Account | None, box: SecretBox, settings: Settings, *,
           local_default: bool = False) -> Iterator[Driver]:
    """The account's driver, open for a block and closed after it (opening may raise a
    DriverError too). With `local_default`, no account means the local engine of the settings
    (CLOUDFOLD_DOCKER_HOST, else the one found on this machine).

    For an account whose owner is not trusted (not an admin), every destination goes through
    the egress rule now, and the block runs under its guard: the driver's connections use the
    approved addresses only (pinned), and any other name it resolves is checked as it goes."""
    if account is None:
        if not local_default:
            raise ValueError("no account to open a driver for")
        from cloudfold.drivers.local.driver import engine_spec

        with _closing(registry.open_driver(engine_spec(settings.docker_host))) as opened:
            yield opened
        return
    trusted = owner_trusted(account)
    try:
        approved = _approved_for_driver(account, trusted, settings)
        with egress.guard(settings, trusted, approved), \
                _closing(registry.open_driver(spec(account, box, settings))) as opened:
            yield opened
    except DriverError as exc:
        if exc.upstream:  # for the operator's log only: never in an answer, task result or stored error
            log.warning("provider %s: %s; the provider said: %.500s", account.slug, exc, exc.upstream)
        raise


@contextmanager
def _closing(opened: Driver) -> Iterator[Driver]:
    try:
        yield opened
    finally:
        opened.close()


def _approved_for_driver(account: Account, trusted: bool, settings: Settings) -> list[egress.Approved]:
    """For an owner who is not trusted: refuse what reaches the host (accounts registered
    before the rule), and check every destination now; the approved addresses get pinned."""
    if trusted:
        return []
    found = _admin_only(account.provider_type, dict(account.config or {}), account.credentials_path)
    if found:
        raise DriverError(f"only admins may use {' or '.join(found)}; this account's owner is not one")
    try:
        return destinations(account.provider_type, dict(account.config or {}), trusted=False, settings=settings)
    except BadRequest as exc:
        raise DriverError(exc.message) from None


def check_health(session: Session, account: Account, box: SecretBox, settings: Settings) -> Account:
    """Ping the account's API, timing it, and keep the outcome on the account."""
    start = time.perf_counter()
    try:
        with driver(account, box, settings) as opened:
            opened.ping()
        status, error = "healthy", None
    except DriverNotImplemented as exc:
        status, error = "not_implemented", str(exc)
    except DriverError as exc:
        status, error = "unhealthy", str(exc)
    except Exception as exc:  # noqa: BLE001 - an account answering garbage must not break the shared page
        log.warning("health check of %s failed unexpectedly", account.slug, exc_info=True)
        status, error = "unhealthy", f"unexpected answer from the provider ({type(exc).__name__})"
    latency = round((time.perf_counter() - start) * 1000, 1)
    if status == "healthy" and latency > settings.health_degraded_ms:
        status, error = "degraded", "High latency detected"
    if account.sync_failures and account.next_sync_after and account.next_sync_after > utcnow():
        note = (f"sync failing ({account.sync_failures} in a row: {account.last_sync_error}); "
                f"backing off until {account.next_sync_after.isoformat()}")
        error = f"{error}; {note}" if error else note
        status = "degraded" if status == "healthy" else status
    account.health_status, account.health_latency_ms, account.health_error = status, latency, error
    account.health_checked_at = utcnow()
    session.commit()
    return account


def ensure_local(session: Session, settings: Settings) -> Account | None:
    """Register the `local` account when a container engine is found and none exists yet."""
    from cloudfold.domain.context import SYSTEM
    from cloudfold.drivers.local.socket import find_engine

    if session.scalar(select(Account).where(Account.provider_type == "local")) is not None:
        return None
    engine = find_engine(settings.docker_host)
    if engine is None:
        return None
    account = Account(slug="local", provider_type="local", display_name="Local container engine",
                      region="local", config={"docker_host": engine}, owner_id=None)
    session.add(account)
    audit.record(session, SYSTEM, "provider.create", target="provider:local", actor="system",
                 detail={"provider_type": "local", "auto": True, "docker_host": engine})
    session.commit()
    return account


def health_due(session: Session, interval_s: int) -> list[Account]:
    from datetime import timedelta

    cutoff = utcnow() - timedelta(seconds=interval_s)
    stmt = select(Account).where(Account.is_active.is_(True),
                                 or_(Account.health_checked_at.is_(None), Account.health_checked_at <= cutoff))
    return list(session.scalars(stmt))


def check_can_change(account: Account, viewer: Principal) -> None:
    policy.check(viewer, policy.CHANGE, account, "Provider account")


def check_all(session: Session, viewer: Principal, box: SecretBox, settings: Settings) -> list[Account]:
    """Check every visible account now, concurrently (each ping is bounded by its driver's timeouts)."""
    from concurrent.futures import ThreadPoolExecutor

    ids = [a.id for a in list_for(session, viewer)]
    factory = session.get_bind()

    def one(account_id: int) -> Account:
        with Session(bind=factory, expire_on_commit=False) as s:
            return check_health(s, s.get(Account, account_id), box, settings)

    with ThreadPoolExecutor(max_workers=min(8, max(1, len(ids)))) as pool:
        return list(pool.map(one, ids))


def remove(session: Session, ctx: Context, ref: str | int, force: bool) -> int:
    """Delete an account the caller may change (by slug or id)."""
    account = get(session, ctx.principal, ref)
    check_can_change(account, ctx.principal)
    return delete(session, ctx, account, force)
