"""Auto monitors: every inventory machine with an address gets a ping and an SSH monitor by
itself, and loses them when it vanishes or has no address any more (`reconcile`, run every
`monitor_reconcile_seconds` and by a refresh). Their owner is the machine's (`domain/policy`);
their addresses are put through the egress rule every time they are probed."""

from __future__ import annotations

import asyncio
import random
import time
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from cloudfold.db.base import utcnow
from cloudfold.db.models import Account, Monitor, Resource
from cloudfold.domain import audit, gone, policy, probes
from cloudfold.domain.context import SYSTEM
from cloudfold.domain.monitors import specs
from cloudfold.domain.monitors.engine import Engine
from cloudfold.domain.monitors.service import prune
from cloudfold.errors import BadRequest
from cloudfold.jobs.registry import JobContext, job

AUTO_INTERVAL, AUTO_TIMEOUT, AUTO_RETRIES = 60, 5.0, 2


def _wanted(session: Session) -> dict[tuple[int, str], dict[str, Any]]:
    want: dict[tuple[int, str], dict[str, Any]] = {}
    rows = session.scalars(select(Resource).where(Resource.kind.in_(gone.COMPUTE), Resource.vanished.is_(False),
                                                  Resource.status.not_in(gone.STATUSES)))
    for row in rows.unique():
        address = probes.address_of(row.meta or {})
        if not isinstance(address, str) or not address or gone.is_gone(row):
            continue
        try:
            dest = specs.split_host_port(address, "address", None)
        except BadRequest:
            continue  # not an address: nothing to probe
        host = f"[{dest.host}]" if ":" in dest.host else dest.host
        owner = policy.owner_of(row).owner_id
        want[(row.id, "ping")] = {"target": dest.host, "owner_id": owner, "name": f"{row.name} ping"}
        want[(row.id, "ssh")] = {"target": f"{host}:22", "owner_id": owner, "name": f"{row.name} ssh"}
    return want


def reconcile(session: Session) -> dict[str, int]:
    """Make the auto monitors match the inventory; one audit event when anything changed."""
    want = _wanted(session)
    have = {(m.resource_id, m.kind): m for m in session.scalars(select(Monitor).where(Monitor.resource_id.is_not(None)))
            .unique()}
    created = updated = removed = 0
    now = utcnow()
    for key, spec in want.items():
        monitor = have.get(key)
        if monitor is None:
            session.add(Monitor(resource_id=key[0], kind=key[1], config={}, interval_seconds=AUTO_INTERVAL,
                                timeout_seconds=AUTO_TIMEOUT, retries=AUTO_RETRIES, enabled=True, state="pending",
                                failures=0, next_due_at=now + timedelta(seconds=random.uniform(0, 10)), **spec))
            created += 1
        elif (monitor.target, monitor.owner_id, monitor.name) != (spec["target"], spec["owner_id"], spec["name"]):
            if monitor.target != spec["target"]:
                monitor.state, monitor.failures, monitor.next_due_at = "pending", 0, now
            monitor.target, monitor.owner_id, monitor.name = spec["target"], spec["owner_id"], spec["name"]
            updated += 1
    for key, monitor in have.items():
        if key not in want:
            session.delete(monitor)
            removed += 1
    if created or updated or removed:
        audit.record(session, SYSTEM, "monitor.reconcile", target="monitors:auto",
                     detail={"created": created, "updated": updated, "removed": removed})
    session.commit()
    return {"created": created, "updated": updated, "removed": removed}


def mark_all_due(session: Session) -> int:
    n = session.execute(update(Monitor).where(Monitor.enabled.is_(True)).values(next_due_at=utcnow())
                        .execution_options(synchronize_session=False)).rowcount
    session.commit()
    return n or 0


def _settled(ctx: JobContext, since, wait: float = 70.0) -> int:
    """Wait for probes another engine (this process's or another's) claimed meanwhile; the
    number of monitors checked since `since`."""
    deadline = time.monotonic() + wait
    while True:
        with ctx.sessions() as session:
            inflight = session.scalar(select(func.count()).select_from(Monitor)
                                      .where(Monitor.claimed_due_at.is_not(None), Monitor.next_due_at > utcnow()))
            if not inflight or time.monotonic() > deadline:
                return session.scalar(select(func.count()).select_from(Monitor)
                                      .where(Monitor.last_checked_at >= since)) or 0
        time.sleep(0.1)


@job("monitors.reconcile")
def reconcile_job(ctx: JobContext, payload: dict[str, Any]) -> dict[str, int]:
    with ctx.sessions() as session:
        return reconcile(session)


@job("monitors.prune")
def prune_job(ctx: JobContext, payload: dict[str, Any]) -> dict[str, int]:
    with ctx.sessions() as session:
        return {"checks_removed": prune(session, ctx.settings)}


@job("monitors.refresh")
def refresh_job(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Seed 000's full refresh (admin): auto monitors follow the inventory, every enabled monitor
    is probed now, and every active account is synced."""
    from cloudfold.domain.sync import request_sync

    started = utcnow()
    with ctx.sessions() as session:
        auto = reconcile(session)
        mark_all_due(session)
    ctx.progress(0.1, "probing every monitor")
    events = ctx.services.events if ctx.services is not None else None

    async def once() -> int:
        engine = Engine(ctx.sessions, ctx.settings, events)
        try:
            return await engine.run_once()
        finally:
            await engine.probers.close()

    asyncio.run(once())
    probed = _settled(ctx, started)
    ctx.log(f"probed {probed} monitor(s); auto monitors {auto}")
    syncs: dict[str, str] = {}
    if payload.get("sync", True) and ctx.services is not None:
        with ctx.sessions() as session:
            for account in session.scalars(select(Account)).unique():
                if account.is_active:
                    syncs[account.slug], _ = request_sync(session, ctx.services.queue, account, None, ctx.settings)
    return {"probed": probed, "auto_monitors": auto, "syncs": syncs}
