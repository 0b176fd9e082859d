"""The sampling job: every `metrics_sample_seconds`, each account whose driver reports
metrics (local engines, Proxmox, AWS) is claimed, read and stored.

State lives in the database: `metric_sources.next_due_at` says when an account is due, and
one UPDATE … WHERE next_due_at <= now RETURNING claims it, so any number of processes may run
the job without sampling an account twice. An engine or cloud that is down is a gap in its
history: the failure is noted on its row and the next try pushed out exponentially (capped by
`metrics_backoff_max_seconds`), never retried in a loop.
"""

from __future__ import annotations

import logging
import time
import weakref
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cloudfold.db.models import Account, MetricSource, Resource, Task
from cloudfold.domain import accounts, events, policy
from cloudfold.domain.metrics import store
from cloudfold.drivers.base import DriverError
from cloudfold.drivers.registry import driver_class
from cloudfold.jobs.registry import JobContext, job

log = logging.getLogger("cloudfold.metrics")

MACHINES = ("container", "vm", "instance")  # the inventory kinds that have usage figures
# per event bus (one per process's runtime): resource id -> when its last metrics.update went out
# (a cache that is safe to lose)
_published: weakref.WeakKeyDictionary[Any, dict[int, float]] = weakref.WeakKeyDictionary()


def _sampled(account: Account) -> bool:
    try:
        return driver_class(account.provider_type).supports("metrics")
    except (KeyError, ImportError):  # an unknown type, or its SDK not installed
        return False


def claim_due(session: Session, settings, now: datetime | None = None) -> list[int]:
    """Ids of the accounts this caller now samples (their next time moved on); commits."""
    now = now or datetime.now(timezone.utc)
    known = set(session.scalars(select(MetricSource.account_id)))
    for account in session.scalars(select(Account).where(Account.is_active.is_(True))):
        if account.id not in known and _sampled(account):
            session.add(MetricSource(account_id=account.id, next_due_at=now, failures=0))
    try:
        session.commit()
    except IntegrityError:  # another process added the same account's row first: it is there
        session.rollback()
    claimed = list(session.scalars(
        update(MetricSource).where(MetricSource.next_due_at <= now)
        .values(next_due_at=now + timedelta(seconds=settings.metrics_sample_seconds))
        .returning(MetricSource.account_id)))
    session.commit()
    return claimed


def _machines(session: Session, account: Account) -> list[Resource]:
    return list(session.scalars(select(Resource).where(
        Resource.account_id == account.id, Resource.kind.in_(MACHINES), Resource.vanished.is_(False),
        Resource.status == "running", ~Resource.external_id.startswith("pending:"))))


def _parse_time(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.now(timezone.utc)


def sample_account(session: Session, rt, account: Account) -> int:
    """Read and store one account's running machines; returns the samples written. A driver
    failure raises (the caller notes it and backs off); nothing is stored then."""
    machines = _machines(session, account)
    if not machines:
        return 0
    by_external = {m.external_id: m for m in machines}
    with accounts.driver(account, rt.secretbox, rt.settings) as driver:
        found = driver.metrics(list(by_external))
    readings = [store.Reading(by_external[ext].id, _parse_time(fig.get("time")), fig)
                for ext, fig in found.items() if ext in by_external]
    written = store.ingest(session, readings, rt.settings.metrics_raw_retention_hours)
    session.commit()
    publish(rt, {m.id: m for m in machines}, written)
    return len(written)


def publish(rt, machines: dict[int, Resource], written) -> None:
    """`metrics.update` per machine, at most one per `metrics_event_seconds` (per process)."""
    now, sent = time.monotonic(), _published.setdefault(rt.events, {})
    for sample in written:
        last = sent.get(sample.resource_id)
        if last is not None and now - last < rt.settings.metrics_event_seconds:
            continue
        sent[sample.resource_id] = now
        rt.events.publish(update_event(machines[sample.resource_id], sample))


def update_event(machine: Resource, sample) -> dict[str, Any]:
    from cloudfold.domain import inventory

    return {**policy.event_facts(machine), "type": "metrics.update", "vmid": inventory.vmid_of(machine),
            "resource_id": str(machine.id), "timestamp": int(sample.time.timestamp()),
            "cpu": sample.cpu_percent, "memory": sample.mem_bytes, "memory_percent": sample.mem_percent,
            "net_in_rate": sample.net_in_rate, "net_out_rate": sample.net_out_rate,
            "disk_read_rate": sample.disk_read_rate, "disk_write_rate": sample.disk_write_rate}


def _note(session: Session, account_id: int, settings, error: str | None, count: int = 0) -> None:
    source = session.get(MetricSource, account_id)
    if source is None:
        return
    now = datetime.now(timezone.utc)
    if error is None:
        source.failures, source.last_error, source.last_sampled_at = 0, None, now
    else:
        source.failures += 1
        backoff = min(settings.metrics_sample_seconds * 2 ** source.failures, settings.metrics_backoff_max_seconds)
        source.next_due_at = now + timedelta(seconds=backoff)
        source.last_error = error[:200]
    session.commit()


def sample_due(session: Session, rt) -> dict[str, int]:
    """Sample every due account; a failing one is noted and backed off, the rest go on."""
    done = {"accounts": 0, "samples": 0, "failed": 0}
    for account_id in claim_due(session, rt.settings):
        account = session.get(Account, account_id)
        if account is None or not account.is_active:
            continue
        try:
            count = sample_account(session, rt, account)
        except DriverError as exc:
            session.rollback()
            log.info("no metrics from %s this time: %s", account.slug, type(exc).__name__)
            _note(session, account_id, rt.settings, f"{type(exc).__name__}: {exc}"[:200])
            done["failed"] += 1
            continue
        _note(session, account_id, rt.settings, None, count)
        done["accounts"] += 1
        done["samples"] += count
    return done


@job("metrics.sample_due")
def sample_due_job(ctx: JobContext, payload: dict[str, Any]) -> dict[str, int]:
    with ctx.sessions() as session:
        return sample_due(session, ctx.services)


JOBS = ("metrics.sample_due", "metrics.prune")


@job("metrics.prune")
def prune_job(ctx: JobContext, payload: dict[str, Any]) -> dict[str, int]:
    """History past its retention, and this family's own finished task rows older than a day
    (the sampler makes one every `metrics_sample_seconds`)."""
    with ctx.sessions() as session:
        dropped = store.prune(session, ctx.settings)
        cutoff = datetime.now(timezone.utc) - timedelta(days=1)
        session.execute(delete(Task).where(Task.name.in_(JOBS), Task.status.in_(("succeeded", "failed")),
                                           Task.created_at < cutoff))
        session.commit()
        return dropped
