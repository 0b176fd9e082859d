"""What `/metrics` reports from the database (the same in every process serving it): the
latest sample of each live machine, tasks by job and status, accounts' sync state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloudfold.db.models import Account, MetricSample, Resource, Task
from cloudfold.domain import inventory
from cloudfold.domain.metrics import store


@dataclass
class MachineFigures:
    machine: Resource
    vmid: int
    sample: MetricSample


def machines(session: Session, max_age_seconds: float) -> list[MachineFigures]:
    """The newest sample of every machine sampled within `max_age_seconds`."""
    since = datetime.now(timezone.utc) - timedelta(seconds=max_age_seconds)
    ids = list(session.scalars(select(MetricSample.resource_id).where(MetricSample.time >= since).distinct()))
    found = store.latest(session, ids, since)
    rows = session.scalars(select(Resource).where(Resource.id.in_(list(found)), Resource.vanished.is_(False)))
    return [MachineFigures(r, inventory.vmid_of(r), found[r.id]) for r in sorted(rows, key=lambda r: r.id)]


def tasks(session: Session) -> list[tuple[str, str, int]]:
    """(job name, status, count) over the tasks kept."""
    return [tuple(r) for r in session.execute(
        select(Task.name, Task.status, func.count()).group_by(Task.name, Task.status).order_by(Task.name, Task.status))]


def accounts(session: Session) -> list[Account]:
    return list(session.scalars(select(Account).where(Account.is_active.is_(True)).order_by(Account.id)))
