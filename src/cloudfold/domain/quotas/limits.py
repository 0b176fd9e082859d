"""Which limit applies to whom: a quota's built-in default, over it the operator's
`quota_defaults` setting, over that the admin-set defaults (stored), and over those a user's
own overrides (stored). Admins change the stored ones here, audited."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloudfold.db.base import as_record_id
from cloudfold.db.models import QuotaDefault, QuotaOverride, User
from cloudfold.domain import audit
from cloudfold.domain.context import Context, Principal
from cloudfold.domain.quotas.registry import REGISTRY
from cloudfold.errors import BadRequest, NotFound
from cloudfold.settings import Settings

log = logging.getLogger(__name__)
MAXIMUM = 1_000_000_000  # fits every database's integer column
_warned: set[str] = set()  # unknown names in the quota_defaults setting, logged once per process


@dataclass(frozen=True)
class Limit:
    name: str
    value: int
    source: str  # built-in | settings | admin | user


def defaults(session: Session, settings: Settings) -> dict[str, Limit]:
    """Every quota's default limit, and where it comes from."""
    out = {name: Limit(name, q.default, "built-in") for name, q in REGISTRY.items()}
    for name, value in settings.quota_defaults.items():
        if name in out:
            out[name] = Limit(name, value, "settings")
        elif name not in _warned:
            _warned.add(name)
            log.warning("quota_defaults names an unknown quota %r; ignored", name)
    for row in session.scalars(select(QuotaDefault)):
        if row.name in out:
            out[row.name] = Limit(row.name, row.value, "admin")
    return out


def for_user(session: Session, settings: Settings, user_id: int) -> dict[str, Limit]:
    """The limits that apply to one user: the defaults with their overrides."""
    out = defaults(session, settings)
    for row in session.scalars(select(QuotaOverride).where(QuotaOverride.user_id == user_id)):
        if row.name in out:
            out[row.name] = Limit(row.name, row.value, "user")
    return out


def overrides(session: Session, user_id: int) -> dict[str, int]:
    return {r.name: r.value for r in session.scalars(select(QuotaOverride).where(QuotaOverride.user_id == user_id))}


def _checked(changes: Any) -> dict[str, int | None]:
    """A partial {name: limit or null}: known names, whole numbers from 0 (400 otherwise)."""
    if not isinstance(changes, dict) or not changes:
        raise BadRequest("give an object of quota names and limits, e.g. {\"vpcs\": 10}")
    unknown = sorted(set(changes) - set(REGISTRY))
    if unknown:
        raise BadRequest(f"unknown quota(s): {', '.join(unknown)}; known: {', '.join(sorted(REGISTRY))}",
                         detail={"unknown": unknown, "known": sorted(REGISTRY)})
    for name, value in changes.items():
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAXIMUM):
            raise BadRequest(f"quota {name}: the limit must be a whole number from 0 to {MAXIMUM}, or null to clear it")
    return changes


def _apply(session: Session, model, changes: dict[str, int | None], **key: Any) -> dict[str, int | None]:
    """Write the changes into ``model``'s rows (null deletes); returns the old values."""
    old: dict[str, int | None] = {}
    for name, value in changes.items():
        row = session.get(model, {**key, "name": name})
        old[name] = row.value if row is not None else None
        if value is None:
            if row is not None:
                session.delete(row)
        elif row is None:
            session.add(model(**key, name=name, value=value))
        else:
            row.value = value
    return old


def set_defaults(session: Session, ctx: Context, changes: Any) -> None:
    """Admin-set defaults; null clears one (the setting or built-in default applies again)."""
    changes = _checked(changes)
    old = _apply(session, QuotaDefault, changes)
    audit.record(session, ctx, "quota.defaults.update", target="quotas", detail={"old": old, "new": changes})
    session.commit()


def user(session: Session, user_id: int, viewer: Principal | None = None) -> User:
    """The user (404 when unknown, or when ``viewer`` is neither that user nor an admin: the
    same answer, so no one learns which ids exist)."""
    number = as_record_id(user_id)
    found = session.get(User, number) if number is not None else None
    if found is None or (viewer is not None and not viewer.is_admin and viewer.user_id != user_id):
        raise NotFound("User not found")
    return found


def set_overrides(session: Session, ctx: Context, user_id: int, changes: Any) -> None:
    """One user's overrides; null clears one (the default applies again)."""
    user(session, user_id)
    changes = _checked(changes)
    old = _apply(session, QuotaOverride, changes, user_id=user_id)
    audit.record(session, ctx, "quota.user.update", target=f"user:{user_id}", detail={"old": old, "new": changes})
    session.commit()
