"""Runtime settings behind seed 001's /api/settings: defaults in code, changes in the database."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloudfold.db.models import SettingValue
from cloudfold.domain import audit
from cloudfold.domain.context import Context
from cloudfold.errors import BadRequest, NotFound


@dataclass(frozen=True)
class SettingSpec:
    key: str
    default: int
    description: str
    minimum: int = 10
    maximum: int = 7 * 24 * 3600


SPECS = {
    s.key: s
    for s in (
        SettingSpec("spending_sync_interval", 300, "Seconds between spending syncs from every provider"),
        SettingSpec("budget_enforce_interval", 600, "Seconds between budget enforcement runs"),
        SettingSpec("health_check_interval", 120, "Seconds between provider health checks"),
        SettingSpec("inventory_sync_interval", 300, "Seconds between inventory syncs of each account"),
        SettingSpec("sync_backoff_max", 3600, "Longest wait, in seconds, before retrying an account whose sync keeps failing", 30),
    )
}


def _stored(session: Session) -> dict[str, Any]:
    return {row.key: row.value for row in session.scalars(select(SettingValue))}


@dataclass(frozen=True)
class Setting:
    """A setting: its spec and the value stored for it (None: the default applies)."""
    spec: SettingSpec
    stored: Any = None

    @property
    def value(self) -> Any:
        return self.spec.default if self.stored is None else self.stored

    @property
    def is_default(self) -> bool:
        return self.stored is None


def all_settings(session: Session) -> list[Setting]:
    stored = _stored(session)
    return [Setting(spec, stored.get(spec.key)) for spec in SPECS.values()]


def get(session: Session, key: str) -> Setting:
    spec = SPECS.get(key)
    if spec is None:
        raise NotFound(f"Unknown setting {key!r}")
    row = session.get(SettingValue, key)
    return Setting(spec, row.value if row else None)


def value(session: Session, key: str) -> int:
    return get(session, key).value


def put(session: Session, ctx: Context, key: str, new: Any) -> Setting:
    spec = SPECS.get(key)
    if spec is None:
        raise NotFound(f"Unknown setting {key!r}")
    if isinstance(new, bool) or not isinstance(new, int):
        raise BadRequest(f"{key} must be a whole number of seconds")
    if not spec.minimum <= new <= spec.maximum:
        raise BadRequest(f"{key} must be between {spec.minimum} and {spec.maximum}")
    row = session.get(SettingValue, key)
    old = row.value if row else spec.default
    if row is None:
        session.add(SettingValue(key=key, value=new))
    else:
        row.value = new
    audit.record(session, ctx, "settings.update", target=f"setting:{key}", detail={"old": old, "new": new})
    session.commit()
    return Setting(spec, new)
