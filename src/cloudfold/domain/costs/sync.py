"""The spending sync: one `costs.sync` job per account writes its daily cost records.

- Providers with a billing API (driver capability `costs`: AWS Cost Explorer) give spending per
  day and service for the last `SYNC_DAYS` days; accounts without one (the local engine,
  Proxmox) are costed by `model` for today and yesterday (the days the metric history still
  holds in full). Records are upserted by `dedupe_key` (account, day, service, source[, machine]),
  so syncing a period again changes nothing; manual records have no key and are never touched.
- The same discipline as the inventory sync (domain/sync.py), on the account's `cost_syncs`
  row: one UPDATE takes the lock (free, or its heartbeat older than `sync_lock_stale_seconds`);
  a request meanwhile sets `requested` and gets one follow-up; failures back off exponentially
  (`sync.backoff_seconds`, capped by `sync_backoff_max`) and mark the account's spending
  `stale` — the records already stored stay as they were.
- `costs.sync_due` (every `schedule_tick_seconds`) starts the syncs due by the
  `spending_sync_interval` setting; `costs.sync_all` is seed 001's `POST /api/budget/sync-spending`.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cloudfold.db.base import utcnow
from cloudfold.db.models import Account, CostRecord, CostSync
from cloudfold.domain import accounts, actions, audit, runtime_settings
from cloudfold.domain import sync as inventory_sync
from cloudfold.domain.context import Context
from cloudfold.domain.costs import catalogue, model
from cloudfold.domain.costs.money import to_micros
from cloudfold.drivers.base import CostLine, DriverError
from cloudfold.jobs.registry import JobContext, job

SYNC_DAYS = 35  # a billing API is asked for this many days back (late corrections included)
MODEL_DAYS = 2  # the cost model recomputes today and yesterday
HOURS_UNITS = {"Hrs", "Hours", "hours"}


def state(session: Session, account_id: int) -> CostSync:
    row = session.get(CostSync, account_id)
    if row is None:
        try:
            with session.begin_nested():
                session.add(CostSync(account_id=account_id, requested=False, failures=0, stale=False))
        except IntegrityError:
            pass  # made by a concurrent request
        session.commit()
        row = session.get(CostSync, account_id)
    return row


def request(session: Session, queue, account: Account, owner_id: int | None, stale_after_s: int) -> tuple[str, bool]:
    """Start a spending sync of ``account`` or merge into the one running (whose heartbeat is not
    stale: a dead holder's lock is taken over by the new sync): (task id, merged)."""
    row = state(session, account.id)
    alive = row.running_since is not None and row.running_since >= utcnow() - timedelta(seconds=stale_after_s)
    if alive and row.task_id:
        session.execute(update(CostSync).where(CostSync.account_id == account.id).values(requested=True))
        session.commit()
        return row.task_id, True
    task_id = queue.enqueue("costs.sync", {"account_id": account.id}, owner_id)
    return task_id, False


def _acquire(session: Session, account_id: int, task_id: str, stale_after_s: int) -> bool:
    now = utcnow()
    state(session, account_id)
    got = session.execute(
        update(CostSync).where(CostSync.account_id == account_id,
                               or_(CostSync.running_since.is_(None),
                                   CostSync.running_since < now - timedelta(seconds=stale_after_s)))
        .values(running_since=now, task_id=task_id, requested=False)).rowcount
    if not got:
        session.execute(update(CostSync).where(CostSync.account_id == account_id).values(requested=True))
    session.commit()
    return bool(got)


def _release(session: Session, account_id: int) -> bool:
    """Free the lock; True when another sync was asked for meanwhile."""
    mine = CostSync.account_id == account_id
    again = session.scalar(select(CostSync.requested).where(mine))
    session.execute(update(CostSync).where(mine).values(running_since=None, requested=False))
    session.commit()
    return bool(again)


def _upsert(session: Session, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(CostRecord).values(rows)
    keep = ("amount_micros", "currency", "priced", "detail", "service", "updated_at", "owner_id")
    session.execute(stmt.on_conflict_do_update(index_elements=[CostRecord.dedupe_key],
                                               set_={k: stmt.excluded[k] for k in keep}))


def _key(*parts: object) -> str:
    text = ":".join(str(p) for p in parts)
    return text if len(text) <= 255 else text[:190] + ":" + hashlib.sha256(text.encode()).hexdigest()


def _base(account: Account, day: date, service: str, source: str, now: datetime) -> dict[str, Any]:
    return {"account_id": account.id, "provider": account.provider_type, "day": day, "service": service,
            "source": source, "priced": True, "created_at": now, "updated_at": now, "resource_id": None,
            "owner_id": None}


def _synced(account: Account, lines: list[CostLine], now: datetime) -> list[dict[str, Any]]:
    rows = []
    for line in lines:
        detail: dict[str, Any] = {"usage": line.usage, "unit": line.unit}
        if line.unit in HOURS_UNITS and line.usage is not None:
            detail["hours"] = line.usage
        rows.append({**_base(account, line.day, line.service, "sync", now), "amount_micros": to_micros(line.amount),
                     "currency": line.currency.upper()[:3], "detail": detail,
                     "dedupe_key": _key("sync", account.id, line.day, line.service)})
    return rows


def _modelled(session: Session, account: Account, now: datetime) -> list[dict[str, Any]]:
    unit = catalogue.model_prices(account.config)
    days = [now.date() - timedelta(days=n) for n in range(MODEL_DAYS)]
    rows = []
    for m in model.machine_days(session, account.id, days, now):
        rows.append({**_base(account, m.day, "compute", "model", now), "resource_id": m.resource.id,
                     "owner_id": m.resource.owner_id, "amount_micros": m.cost_micros(unit), "currency": "USD",
                     "detail": {"hours": m.hours, "vcpu": m.vcpu, "memory_gb": m.memory_gb, "disk_gb": m.disk_gb,
                                "unit_prices_micros": unit},
                     "dedupe_key": _key("model", account.id, m.day, "compute", m.resource.id)})
    return rows


def run(ctx: JobContext, account_id: int, now: datetime | None = None) -> dict[str, Any]:
    now = now or datetime.now(UTC)
    with ctx.sessions() as session:
        account = session.get(Account, account_id)
        if not model.modelled(account.provider_type):
            with accounts.driver(account, ctx.services.secretbox, ctx.settings) as driver:
                lines = driver.costs(now.date() - timedelta(days=SYNC_DAYS), now.date() + timedelta(days=1))
            rows, source = _synced(account, lines, now), "sync"
        else:  # no billing API: the cost model, from the inventory and metric history (no provider call)
            rows, source = _modelled(session, account, now), "model"
        _upsert(session, rows)
        row = state(session, account_id)
        row.last_at = row.last_success_at = utcnow()
        row.last_status, row.last_error, row.failures, row.next_after, row.stale = "succeeded", None, 0, None, False
        session.commit()
    result = {"account": account.slug, "source": source, "records": len(rows)}
    ctx.log(f"spending sync done: {result}")
    return result


def _record_failure(ctx: JobContext, account_id: int, error: Exception) -> None:
    with ctx.sessions() as session:
        if session.get(Account, account_id) is None:
            return
        row = state(session, account_id)
        row.failures += 1
        row.last_at, row.last_status, row.stale = utcnow(), "failed", True
        row.last_error = inventory_sync.failure_text(error)
        row.next_after = inventory_sync.retry_at(session, row.failures)
        session.commit()


@job("costs.sync")
def sync_job(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    account_id = int(payload["account_id"])
    with ctx.sessions() as session:
        if session.get(Account, account_id) is None:
            raise LookupError(f"account {account_id} no longer exists")
        if not _acquire(session, account_id, ctx.task_id, ctx.settings.sync_lock_stale_seconds):
            ctx.log("a spending sync of this account is running; merged into its follow-up")
            return {"merged": True, "follow_up": True}
    try:
        return run(ctx, account_id)
    except Exception as exc:
        _record_failure(ctx, account_id, exc)
        if inventory_sync.known(exc):
            raise
        raise DriverError(f"unexpected answer from the provider ({type(exc).__name__})") from exc
    finally:
        with ctx.sessions() as session:
            if _release(session, account_id) and ctx.services is not None:
                ctx.services.queue.enqueue("costs.sync", {"account_id": account_id}, None)


def due(session: Session, stale_after_s: int) -> list[Account]:
    """Active accounts whose last spending sync is older than `spending_sync_interval` and that
    are not backing off or running."""
    interval = runtime_settings.value(session, "spending_sync_interval")
    now = utcnow()
    stmt = (select(Account).outerjoin(CostSync, CostSync.account_id == Account.id)
            .where(Account.is_active.is_(True),
                   or_(CostSync.running_since.is_(None),
                       CostSync.running_since < now - timedelta(seconds=stale_after_s)),
                   or_(CostSync.last_at.is_(None), CostSync.last_at <= now - timedelta(seconds=interval)),
                   or_(CostSync.next_after.is_(None), CostSync.next_after <= now)))
    return list(session.scalars(stmt))


@job("costs.sync_due")
def sync_due_job(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    started = []
    with ctx.sessions() as session:
        for account in due(session, ctx.settings.sync_lock_stale_seconds):
            _, merged = request(session, ctx.services.queue, account, None, ctx.settings.sync_lock_stale_seconds)
            if not merged:
                started.append(account.slug)
    return {"started": started}


@job("costs.sync_all")
def sync_all_job(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Seed 001's `POST /api/budget/sync-spending`: a spending sync of every account the caller sees."""
    started = {}
    with ctx.sessions() as session:
        viewer = actions.job_context(payload, session).principal  # the caller's rights now
        for account in accounts.list_for(session, viewer):
            if account.is_active:
                task_id, merged = request(session, ctx.services.queue, account, viewer.user_id,
                                          ctx.settings.sync_lock_stale_seconds)
                started[account.slug] = task_id
                ctx.log(f"{account.slug}: {'merged into' if merged else 'started'} task {task_id}")
    return {"syncs": started}


def request_all(session: Session, queue, ctx: Context) -> str:
    """Enqueue a spending sync of every account the caller sees (audited); the task id."""
    task_id = queue.enqueue("costs.sync_all", actions.identity(ctx, session), ctx.principal.user_id)
    audit.record(session, ctx, "spending.sync", target=f"task:{task_id}")
    session.commit()
    return task_id


def status(session: Session, account_id: int) -> CostSync | None:
    return session.get(CostSync, account_id)
