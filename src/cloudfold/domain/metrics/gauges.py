"""What `/metrics` reports from the database (the same in every process serving it): the
latest sample of each live machine, tasks by job and status, accounts' sync state."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloudfold import timestamps
from cloudfold.db.models import Account, Resource, Task
from cloudfold.domain import inventory, usage
from cloudfold.domain.metrics import sampler


@dataclass
class MachineFigures:
    machine: Resource
    vmid: int
    figures: dict[str, Any]  # the latest sample as `resources.usage["stats"]` keeps it (store.current)
    at: datetime


def machines(session: Session, max_age_seconds: float) -> list[MachineFigures]:
    """Every live machine sampled within `max_age_seconds`, with its latest figures (one row
    per machine: the sample `store.ingest` keeps in `resources.usage`, not a scan of samples)."""
    since = datetime.now(timezone.utc) - timedelta(seconds=max_age_seconds)
    out = []
    for row in session.scalars(select(Resource).where(
            Resource.kind.in_(sampler.MACHINES), Resource.vanished.is_(False), Resource.status == "running",
            Resource.usage.is_not(None)).order_by(Resource.id)):
        stats = usage.sample(row)
        at = timestamps.parse(stats.get("at"))
        if at is not None and at >= since:
            out.append(MachineFigures(row, inventory.vmid_of(row), stats, at))
    return out


def tasks(session: Session) -> list[tuple[str, str, int]]:
    """(job name, status, count) over the tasks kept."""
    return [tuple(r) for r in session.execute(
        select(Task.name, Task.status, func.count()).group_by(Task.name, Task.status).order_by(Task.name, Task.status))]


def accounts(session: Session) -> list[Account]:
    return list(session.scalars(select(Account).where(Account.is_active.is_(True)).order_by(Account.id)))
