"""Inventory sync: one job per account pages through the provider and upserts in batches.

- At most one sync per account runs at a time (a row lock taken with one UPDATE); requests
  that arrive meanwhile set ``sync_requested`` and are merged into one follow-up run.
- Records are only marked vanished after a sync that saw every page, so a partial failure
  never loses a record; the next successful sync converges.
- An account whose syncs keep failing backs off exponentially (``sync_backoff_max``) and
  its health says so.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.orm import Session

from cloudfold.db.base import utcnow
from cloudfold.db.models import Account, Resource, Task, User
from cloudfold.domain import accounts, events, gone, runtime_settings, tasks, workers
from cloudfold.drivers.base import OWNER_LABEL, Discovered, DriverError
from cloudfold.errors import CloudfoldError
from cloudfold.jobs.registry import JobContext, job

BACKOFF_BASE_S = 30


def _lock_is_stale(account: Account, stale_after_s: int) -> bool:
    return (account.sync_running_since is not None
            and account.sync_running_since < utcnow() - timedelta(seconds=stale_after_s))


def _end_dead_holder(session: Session, account: Account, settings) -> None:
    """A sync task whose process is gone (domain/workers.py) or whose heartbeat has gone stale
    can never finish: mark it failed and free the lock, now rather than after a timeout."""
    current = session.get(Task, account.sync_task_id) if account.sync_task_id else None
    if current is None or current.status not in (tasks.PENDING, tasks.RUNNING):
        return
    dead = current.worker_id is not None and not workers.alive(session, settings, current.worker_id)
    if dead or (current.status == tasks.RUNNING and _lock_is_stale(account, settings.sync_lock_stale_seconds)):
        tasks.finish(session, current.id, error=workers.INTERRUPTED)
        session.execute(update(Account).where(Account.id == account.id, Account.sync_task_id == current.id)
                        .values(sync_running_since=None))
        session.commit()
        session.refresh(account)


def request_sync(session: Session, queue, account: Account, owner_id: int | None, settings) -> tuple[str, bool]:
    """Start a sync of ``account``, or merge into the one pending/running. Returns (task_id, merged):
    a merged request names the sync it merged into, whose task tells its state.

    A sync whose process died (or whose heartbeat has gone stale) is marked failed and a new
    sync starts (and takes the lock over)."""
    _end_dead_holder(session, account, settings)
    if account.sync_task_id:
        current = session.get(Task, account.sync_task_id)
        if current is not None and current.status in (tasks.PENDING, tasks.RUNNING):
            if current.status == tasks.RUNNING:
                session.execute(update(Account).where(Account.id == account.id).values(sync_requested=True))
                session.commit()
            return current.id, True
    task_id = queue.enqueue("inventory.sync", {"account_id": account.id}, owner_id)
    session.execute(update(Account).where(Account.id == account.id).values(sync_task_id=task_id))
    session.commit()
    return task_id, False


def _acquire(session: Session, account_id: int, task_id: str, stale_after_s: int) -> bool:
    """Take the account's sync lock. A lock is free when nobody holds it, when its holder's
    heartbeat (written after every page) is older than ``stale_after_s``, or when the task
    holding it has ended (a process that died and was marked failed on restart)."""
    now = utcnow()
    holder_ended = select(Task.id).where(Task.id == Account.sync_task_id,
                                         Task.status.in_((tasks.SUCCEEDED, tasks.FAILED))).exists()
    got = session.execute(
        update(Account)
        .where(Account.id == account_id,
               or_(Account.sync_running_since.is_(None),
                   Account.sync_running_since < now - timedelta(seconds=stale_after_s),
                   (Account.sync_task_id != task_id) & holder_ended))
        .values(sync_running_since=now, sync_requested=False, sync_task_id=task_id)
    ).rowcount
    if not got:
        session.execute(update(Account).where(Account.id == account_id).values(sync_requested=True))
    session.commit()
    return bool(got)


def _release(session: Session, account_id: int) -> bool:
    """Free the lock; True when another sync was asked for meanwhile."""
    account = session.get(Account, account_id)
    if account is None:
        return False
    again = account.sync_requested
    account.sync_running_since, account.sync_requested = None, False
    session.commit()
    return again


def _row(d: Discovered, account: Account, generation: int, now) -> dict[str, Any]:
    return {"account_id": account.id, "provider": account.provider_type, "kind": d.kind,
            "external_id": d.external_id, "name": d.name[:300], "region": d.region or account.region,
            "status": d.status, "meta": d.metadata, "tags": d.tags, "cost_per_hour": d.cost_per_hour,
            "vanished": False, "sync_generation": generation, "last_synced": now, "updated_at": now,
            "created_at": d.created_at or now, "manual": False}


def upsert_page(session: Session, account: Account, page: list[Discovered], generation: int) -> list[tuple[str, int]]:
    """Write one page; return (change, resource id) for every created or changed record."""
    if not page:
        return []
    now = utcnow()
    existing = {
        (r.kind, r.external_id): r
        for r in session.execute(
            select(Resource.id, Resource.kind, Resource.external_id, Resource.status, Resource.name, Resource.vanished)
            .where(Resource.account_id == account.id, Resource.external_id.in_([d.external_id for d in page]))
        )
    }
    inserts, updates, changes = [], [], []
    for d in page:
        values = _row(d, account, generation, now)
        old = existing.get((d.kind, d.external_id))
        if old is None:
            inserts.append(values)
            continue
        values.pop("created_at")
        updates.append({"id": old.id, **values})
        if old.status != d.status or old.name != values["name"] or old.vanished:
            changes.append(("update", old.id))
    if updates:
        session.execute(update(Resource), updates)
    if inserts:
        ids = session.scalars(insert(Resource).returning(Resource.id), inserts).all()
        changes.extend(("create", i) for i in ids)
    _claim_owners(session, account, page)
    session.commit()
    return changes


def _claim_owners(session: Session, account: Account, page: list[Discovered]) -> None:
    """An object labelled with the uuid of the user who made it through cloudfold
    (`OWNER_LABEL`) is that user's record, never an unowned (shared) one."""
    by_owner: dict[str, list[str]] = {}
    for d in page:
        if (d.tags or {}).get(OWNER_LABEL):
            by_owner.setdefault(str(d.tags[OWNER_LABEL]), []).append(d.external_id)
    if not by_owner:
        return
    ids = {u: i for u, i in session.execute(select(User.uuid, User.id).where(User.uuid.in_(list(by_owner))))}
    for owner_uuid, external_ids in by_owner.items():
        if owner_uuid in ids:
            session.execute(update(Resource).where(Resource.account_id == account.id, Resource.owner_id.is_(None),
                                                   Resource.external_id.in_(external_ids))
                            .values(owner_id=ids[owner_uuid]))


def _mark_vanished(session: Session, account: Account, generation: int) -> list[int]:
    stale = select(Resource.id).where(Resource.account_id == account.id, Resource.manual.is_(False),
                                      Resource.vanished.is_(False), Resource.sync_generation < generation)
    ids = list(session.scalars(stale))
    for start in range(0, len(ids), 1000):
        chunk = ids[start:start + 1000]
        session.execute(update(Resource).where(Resource.id.in_(chunk), Resource.kind.in_(gone.COMPUTE))
                        .values(vanished=True, status=gone.status_for("vm"), updated_at=utcnow()))
        session.execute(update(Resource).where(Resource.id.in_(chunk), Resource.kind.not_in(gone.COMPUTE))
                        .values(vanished=True, status=gone.status_for("volume"), updated_at=utcnow()))
    session.commit()
    return ids


def _publish(ctx: JobContext, session: Session, changes: list[tuple[str, int]]) -> None:
    bus = getattr(ctx.services, "events", None)
    if bus is None or not changes:
        return
    by_id = dict((rid, change) for change, rid in changes)
    for start in range(0, len(changes), 500):
        ids = [rid for _, rid in changes[start:start + 500]]
        for row in session.scalars(select(Resource).where(Resource.id.in_(ids))):
            bus.publish(events.resource_change(by_id[row.id], row, source="sync"))


def run_sync(ctx: JobContext, account_id: int) -> dict[str, Any]:
    box = ctx.services.secretbox
    with ctx.sessions() as session:
        account = session.get(Account, account_id)
        generation = (session.scalar(select(func.max(Resource.sync_generation))
                                     .where(Resource.account_id == account_id)) or 0) + 1
        seen = created = changed = 0
        with accounts.driver(account, box, ctx.settings) as driver:  # the egress rule, pinned
            for number, page in enumerate(driver.pages(), start=1):
                changes = upsert_page(session, account, page, generation)
                session.execute(update(Account).where(Account.id == account_id)
                                .values(sync_running_since=utcnow()))  # heartbeat: the lock is alive
                session.commit()
                seen += len(page)
                created += sum(1 for c, _ in changes if c == "create")
                changed += sum(1 for c, _ in changes if c == "update")
                _publish(ctx, session, changes)
                ctx.log(f"page {number}: {len(page)} resource(s), {seen} so far")
        vanished = _mark_vanished(session, account, generation)
        _publish(ctx, session, [("vanished", i) for i in vanished])
        account.last_sync_at, account.last_sync_status, account.last_sync_error = utcnow(), "succeeded", None
        account.sync_failures, account.next_sync_after = 0, None
        session.commit()
    result = {"account": account.slug, "seen": seen, "created": created, "changed": changed, "vanished": len(vanished)}
    ctx.log(f"sync done: {result}")
    return result


def known(error: Exception) -> bool:
    """Errors whose message is cloudfold's own words (not an SDK's view of a garbled answer)."""
    return isinstance(error, (DriverError, CloudfoldError))


def backoff_seconds(failures: int, cap: int) -> int:
    """How long to wait after ``failures`` failures in a row: doubling from BACKOFF_BASE_S, capped."""
    return min(BACKOFF_BASE_S * 2 ** (failures - 1), cap)


def retry_at(session: Session, failures: int):
    """When an account that failed ``failures`` times in a row is tried again (`sync_backoff_max` caps the wait)."""
    return utcnow() + timedelta(seconds=backoff_seconds(failures, runtime_settings.value(session, "sync_backoff_max")))


def failure_text(error: Exception) -> str:
    """What a failed sync says: cloudfold's own words, never a garbled answer's text."""
    return f"{type(error).__name__}: {error}"[:1000] if known(error) else \
        f"unexpected answer from the provider ({type(error).__name__})"


def _record_failure(ctx: JobContext, account_id: int, error: Exception) -> None:
    with ctx.sessions() as session:
        account = session.get(Account, account_id)
        if account is None:
            return
        account.sync_failures += 1
        account.last_sync_at, account.last_sync_status = utcnow(), "failed"
        account.last_sync_error = failure_text(error)
        account.next_sync_after = retry_at(session, account.sync_failures)
        session.commit()


@job("inventory.sync")
def sync_job(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    account_id = int(payload["account_id"])
    with ctx.sessions() as session:
        account = session.get(Account, account_id)
        if account is None:
            raise LookupError(f"account {account_id} no longer exists")
        if account.sync_task_id != ctx.task_id:
            _end_dead_holder(session, account, ctx.settings)
        if not _acquire(session, account_id, ctx.task_id, ctx.settings.sync_lock_stale_seconds):
            holder_id = session.scalar(select(Account.sync_task_id).where(Account.id == account_id))
            holder = session.get(Task, holder_id) if holder_id and holder_id != ctx.task_id else None
            # the sync holding the lock runs again for this request (sync_requested) when it ends
            state = {"merged_into": holder.id if holder else None, "status": holder.status if holder else None,
                     "follow_up": True}
            ctx.log(f"another sync of this account is running ({state}); this request is merged into its follow-up")
            return state
    try:
        return run_sync(ctx, account_id)
    except Exception as exc:
        _record_failure(ctx, account_id, exc)
        if known(exc):
            raise
        # what an account answering garbage made a driver trip over may quote that answer
        raise DriverError(f"unexpected answer from the provider ({type(exc).__name__})") from exc
    finally:
        with ctx.sessions() as session:
            again = _release(session, account_id)
            if again and ctx.services is not None:
                task_id = ctx.services.queue.enqueue("inventory.sync", {"account_id": account_id}, None)
                session.execute(update(Account).where(Account.id == account_id).values(sync_task_id=task_id))
                session.commit()


def due_accounts(session: Session, stale_after_s: int) -> list[Account]:
    interval = runtime_settings.value(session, "inventory_sync_interval")
    now = utcnow()
    stmt = select(Account).where(
        Account.is_active.is_(True),
        or_(Account.sync_running_since.is_(None), Account.sync_running_since < now - timedelta(seconds=stale_after_s)),
        or_(Account.last_sync_at.is_(None), Account.last_sync_at <= now - timedelta(seconds=interval)),
        or_(Account.next_sync_after.is_(None), Account.next_sync_after <= now),
    )
    return list(session.scalars(stmt))


@job("inventory.sync_due")
def sync_due_job(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    started = []
    with ctx.sessions() as session:
        for account in due_accounts(session, ctx.settings.sync_lock_stale_seconds):
            task_id, merged = request_sync(session, ctx.services.queue, account, None, ctx.settings)
            if not merged:
                started.append(account.slug)
    return {"started": started}


@job("inventory.sync_all")
def sync_all_job(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Seed 002's sync trigger: request a sync of every account the caller may see."""
    from cloudfold.domain.context import Principal

    viewer = Principal(**{**payload["viewer"], "scopes": frozenset(payload["viewer"]["scopes"])})
    started = {}
    with ctx.sessions() as session:
        for account in accounts.list_for(session, viewer):
            if not account.is_active:
                continue
            task_id, merged = request_sync(session, ctx.services.queue, account, viewer.user_id, ctx.settings)
            started[account.slug] = task_id
            ctx.log(f"{account.slug}: {'merged into' if merged else 'started'} task {task_id}")
    return {"syncs": started}


def viewer_payload(viewer) -> dict[str, Any]:
    return {"viewer": {"user_id": viewer.user_id, "user_uuid": viewer.user_uuid, "email": viewer.email,
                       "role": viewer.role, "scopes": sorted(viewer.scopes)}}


def request_sync_all(queue, viewer) -> str:
    """Enqueue a sync of every account ``viewer`` may see (the job below); its task id."""
    return queue.enqueue("inventory.sync_all", viewer_payload(viewer), viewer.user_id)
