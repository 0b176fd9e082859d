"""API keys: random, shown once, stored as a digest, scoped no wider than their owner."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, bindparam, select
from sqlalchemy.orm import Session

from cloudfold.db.base import utcnow
from cloudfold.db.models import ApiKey, User
from cloudfold.db.prepared import Prepared
from cloudfold.domain import audit, expiry
from cloudfold.domain.context import Context, Principal
from cloudfold.domain.policy import callers
from cloudfold.errors import Forbidden, NotFound
from cloudfold.security.scopes import scopes_for_role
from cloudfold.security.tokens import new_api_key

LAST_USED_RESOLUTION = timedelta(seconds=60)  # write last_used at most once a minute per key


def create(
    session: Session,
    ctx: Context,
    user: User,
    name: str,
    scopes: list[str] | None = None,
    expires_at: datetime | None = None,
    kind: str = "api",
    *,
    expires_in_days: int | None = None,
) -> tuple[ApiKey, str]:
    """A new key of ``user``'s (its plaintext returned once); it expires at ``expires_at``, or
    ``expires_in_days`` from now, or never."""
    expires_at = expires_at or expiry.after(expires_in_days)
    owner_scopes = scopes_for_role(user.role)
    if ctx.principal is not None and ctx.principal.user_id == user.id:
        owner_scopes = owner_scopes & ctx.principal.scopes  # a key cannot mint a wider key
    wanted = set(scopes) if scopes is not None else set(owner_scopes)
    too_wide = sorted(wanted - owner_scopes)
    if too_wide:
        audit.record(session, ctx, "apikey.create", target=f"user:{user.uuid}", result=audit.BLOCKED,
                     refused=Forbidden, detail={"scopes": too_wide})
        session.commit()
        raise Forbidden(f"Scopes wider than the owner's: {', '.join(too_wide)}")
    key, prefix, key_hash = new_api_key()
    record = ApiKey(user_id=user.id, name=name, prefix=prefix, key_hash=key_hash,
                    scopes=sorted(wanted), expires_at=expires_at, kind=kind)
    session.add(record)
    session.flush()
    audit.record(session, ctx, f"apikey.{'login' if kind == 'login' else 'create'}",
                 target=f"apikey:{record.id}", detail={"name": name, "scopes": sorted(wanted)})
    session.commit()
    return record, key


# Built once: listing keys is on the authenticated read path, and the rows are read as plain
# columns (no ORM objects), which is most of its cost saved.
_LISTED = (ApiKey.id, ApiKey.name, ApiKey.prefix, ApiKey.scopes, ApiKey.created_at, ApiKey.last_used,
           ApiKey.expires_at)
_LIST = Prepared(select(*_LISTED).where(ApiKey.user_id == bindparam("user_id"), ApiKey.revoked_at.is_(None))
                 .order_by(ApiKey.created_at))


def list_for(engine: Engine, principal: Principal) -> list:
    """The caller's live keys, oldest first, as rows with `_LISTED`'s fields. One statement
    with nothing to flush: a prepared read on a pooled connection (`db/prepared.py`), without a
    session's unit of work or Core's execution context (which cost more than the query)."""
    return _LIST.all(engine, user_id=principal.user_id)


def _owned(session: Session, principal: Principal, key_id: str) -> ApiKey:
    key = session.get(ApiKey, key_id)
    if key is None or key.user_id != principal.user_id or key.revoked_at is not None:
        raise NotFound("API key not found")
    return key


def revoke(session: Session, ctx: Context, key_id: str) -> None:
    key = _owned(session, ctx.principal, key_id)
    key.revoked_at = utcnow()
    audit.record(session, ctx, "apikey.revoke", target=f"apikey:{key.id}")
    session.commit()
    callers.changed(key.user_id)  # open sockets on this key close now


def rotate(session: Session, ctx: Context, key_id: str, action: str = "rotate") -> tuple[ApiKey, str]:
    """Create a new key with the old one's name, scopes and lifetime; revoke the old one."""
    old = _owned(session, ctx.principal, key_id)
    expires_at = None
    if old.expires_at is not None:
        expires_at = utcnow() + (old.expires_at - old.created_at)
    key, prefix, key_hash = new_api_key()
    new = ApiKey(user_id=old.user_id, name=old.name, prefix=prefix, key_hash=key_hash,
                 scopes=list(old.scopes), expires_at=expires_at, kind=old.kind)
    session.add(new)
    session.flush()
    old.revoked_at = utcnow()
    old.replaced_by = new.id
    audit.record(session, ctx, f"apikey.{action}", target=f"apikey:{old.id}", detail={"new_key_id": new.id})
    session.commit()
    callers.changed(old.user_id)
    return new, key


def is_expired(key: ApiKey, now: datetime | None = None) -> bool:
    return key.expires_at is not None and key.expires_at <= (now or datetime.now(UTC))


def touch(session: Session, key: ApiKey) -> None:
    """Keep last_used, writing at most once per LAST_USED_RESOLUTION to spare the hot path."""
    now = utcnow()
    if key.last_used is None or now - key.last_used >= LAST_USED_RESOLUTION:
        key.last_used = now
        session.commit()
