"""The probe engine: claims due monitors from the database, probes them concurrently and
writes the results back in batches.

A claim is one UPDATE … WHERE next_due_at <= now … RETURNING that moves the claimed rows'
`next_due_at` to a lease (and keeps the due time in `claimed_due_at`), with FOR UPDATE SKIP
LOCKED on PostgreSQL: several processes can run engines on one database and no monitor is
probed twice. A process that dies mid-probe loses nothing but that check: its lease runs out
and another claims the monitor. State changes are decided from the stored row (consecutive
failures against `retries`), so nothing lives only in this process's memory.

Embedded default: `EngineThread` runs one engine on its own event loop in the serving process
(`monitor_engine`)."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from cloudfold.db.base import utcnow
from cloudfold.db.models import Monitor, MonitorCheck, User
from cloudfold.domain import policy
from cloudfold.domain.egress.rules import literal
from cloudfold.domain.monitors import specs
from cloudfold.domain.monitors.probers import Probers, Result
from cloudfold.errors import BadRequest
from cloudfold.settings import Settings

log = logging.getLogger("cloudfold.monitors")

LEASE = timedelta(seconds=90)  # longer than any probe (timeout ≤ 60 s): then the monitor is due again
APPROVAL_TTL = 60.0  # seconds an egress approval (a name's addresses) is reused
CLAIMED = (Monitor.id, Monitor.kind, Monitor.target, Monitor.config, Monitor.interval_seconds,
           Monitor.timeout_seconds, Monitor.retries, Monitor.owner_id, Monitor.claimed_due_at, Monitor.state,
           Monitor.failures, Monitor.resource_id)


@dataclass
class Claimed:
    id: int
    kind: str
    target: str
    config: dict[str, Any]
    interval_seconds: int
    timeout_seconds: float
    retries: int
    owner_id: int | None
    due: datetime
    state: str
    failures: int
    resource_id: int | None
    trusted: bool = False


@dataclass
class Stats:
    """What this engine did (for the benchmark and for health)."""

    probes: int = 0
    failed: int = 0
    missed: int = 0  # schedules skipped because the engine was more than one interval late
    lags: list[float] = field(default_factory=list)  # seconds from due to start, per probe


def outcome(state: str, failures: int, retries: int, ok: bool) -> tuple[str, int, bool]:
    """(new state, consecutive failures, re-check soon): a failure is re-checked `retries`
    times before the monitor is declared down, so one lost packet is not an outage."""
    if ok:
        return "up", 0, False
    failures += 1
    if failures > retries:
        return "down", failures, False
    return state, failures, True


def claim(session: Session, settings: Settings, now: datetime, batch: int) -> list[Claimed]:
    due = select(Monitor.id).where(Monitor.enabled.is_(True), Monitor.next_due_at <= now)
    if session.scalar(due.limit(1)) is None:  # a read first: an idle tick takes no write lock
        session.rollback()
        return []
    due = due.order_by(Monitor.next_due_at).limit(batch)
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    rows = session.execute(
        update(Monitor).where(Monitor.id.in_(due.scalar_subquery()), Monitor.next_due_at <= now)
        .values(claimed_due_at=Monitor.next_due_at, next_due_at=now + LEASE)
        .returning(*CLAIMED).execution_options(synchronize_session=False)).all()
    owners = {r.owner_id for r in rows if r.owner_id is not None}
    admins = set(session.scalars(select(User.id).where(User.id.in_(owners), User.role == "admin"))) if owners else set()
    session.commit()
    return [Claimed(r.id, r.kind, r.target, r.config or {}, r.interval_seconds, r.timeout_seconds, r.retries,
                    r.owner_id, r.claimed_due_at, r.state, r.failures, r.resource_id,
                    trusted=r.owner_id is None or r.owner_id in admins) for r in rows]


def next_due(c: Claimed, now: datetime, retry_soon: bool, settings: Settings) -> tuple[datetime, int]:
    """When to check again, and how many schedules were skipped (the engine fell behind)."""
    if retry_soon:
        return now + timedelta(seconds=min(settings.monitor_retry_seconds, c.interval_seconds)), 0
    step = timedelta(seconds=c.interval_seconds)
    nxt = c.due + step
    if nxt > now:
        return nxt, 0
    behind = (now - nxt) // step + 1
    return nxt + behind * step, behind


def write(session: Session, settings: Settings, done: list[tuple[Claimed, Result, datetime]]) -> tuple[list[int], int]:
    """Store a batch of results (history rows + each monitor's new state): the ids whose state
    changed, and how many schedules were skipped because the checks came more than an interval late."""
    checks, changes, changed, missed = [], [], [], 0
    for c, r, at in done:
        state, failures, retry_soon = outcome(c.state, c.failures, c.retries, r.ok)
        nxt, skipped = next_due(c, utcnow(), retry_soon, settings)
        missed += skipped
        checks.append({"monitor_id": c.id, "time": at, "ok": r.ok, "latency_ms": r.latency_ms,
                       "status_code": r.status_code, "error": r.error})
        change = {"id": c.id, "state": state, "failures": failures, "last_checked_at": at,
                  "last_latency_ms": r.latency_ms, "last_status_code": r.status_code, "last_error": r.error,
                  "next_due_at": nxt, "claimed_due_at": None}
        if r.cert_expires_at is not None:
            change["cert_expires_at"] = r.cert_expires_at
        changes.append(change)
        if state != c.state:
            changed.append(c.id)
    existing = set(session.scalars(select(Monitor.id).where(Monitor.id.in_([c["id"] for c in changes]))))
    session.execute(insert(MonitorCheck), [c for c in checks if c["monitor_id"] in existing])
    for keys in {tuple(sorted(c)) for c in changes}:  # one executemany per shape
        session.execute(update(Monitor), [c for c in changes if tuple(sorted(c)) == keys and c["id"] in existing])
    session.commit()
    return [i for i in changed if i in existing], missed


def state_events(session: Session, ids: list[int]) -> list[dict[str, Any]]:
    """`monitor.state` events, with what the ownership filter needs to pick listeners."""
    events = []
    for monitor in session.scalars(select(Monitor).where(Monitor.id.in_(ids))).unique():
        events.append({**policy.event_facts(monitor), "type": "monitor.state", "monitor_id": monitor.id,
                       "state": monitor.state, "resource_id": monitor.resource_id, "name": monitor.name,
                       "kind": monitor.kind})
    return events


class Engine:
    """One event loop's probe engine."""

    def __init__(self, sessions: sessionmaker[Session], settings: Settings, events: Any = None,
                 concurrency: int | None = None) -> None:
        self.sessions, self.settings, self.events = sessions, settings, events
        self.probers = Probers(settings, concurrency)
        self.stats = Stats()
        self._pending: list[tuple[Claimed, Result, datetime]] = []
        self._inflight: set[asyncio.Task] = set()
        self._approvals: dict[tuple, tuple[float, Any]] = {}
        self.max_inflight = (concurrency or settings.monitor_max_concurrency) * 4

    # -- one monitor -------------------------------------------------------------------
    async def _approve(self, c: Claimed):
        key = (c.kind, c.target, c.config.get("server"), c.trusted)
        hit = self._approvals.get(key)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        dest = specs.destination(c.kind, c.target, c.config)
        args = (c.kind, c.target, c.config)
        kw = {"trusted": c.trusted, "settings": self.settings}
        if dest is None or literal(dest.host) is not None:
            approved = specs.approve(*args, **kw)
        else:  # a name: resolved off the loop
            approved = await asyncio.to_thread(specs.approve, *args, **kw)
        self._approvals[key] = (time.monotonic() + APPROVAL_TTL, approved)
        return approved

    async def check(self, c: Claimed) -> Result:
        try:
            approved = await self._approve(c)
        except BadRequest as exc:
            return Result(False, error=exc.message[:300], started_at=utcnow())
        return await self.probers.probe(c.kind, c.target, c.config, approved, c.timeout_seconds, c.trusted)

    async def _run_one(self, c: Claimed) -> None:
        result = await self.check(c)
        at = result.started_at or utcnow()
        self.stats.lags.append((at - c.due).total_seconds())  # due → the probe's start (after a free slot)
        self.stats.probes += 1
        self.stats.failed += 0 if result.ok else 1
        self._pending.append((c, result, at))

    # -- batches -------------------------------------------------------------------------
    async def flush(self) -> None:
        done, self._pending = self._pending, []
        if not done:
            return

        def store() -> list[dict[str, Any]]:
            with self.sessions() as session:
                changed, missed = write(session, self.settings, done)
                self.stats.missed += missed
                return state_events(session, changed) if changed and self.events is not None else []

        try:
            for event in await asyncio.to_thread(store):
                self.events.publish(event)
        except Exception:  # noqa: BLE001 - a failed write loses these checks, not the engine; leases bring them back
            log.exception("storing %d monitor check(s) failed", len(done))

    async def claim_and_start(self) -> int:
        room = self.max_inflight - len(self._inflight)
        if room <= 0:
            return 0

        def take() -> list[Claimed]:
            with self.sessions() as session:
                return claim(session, self.settings, utcnow(), min(room, self.settings.monitor_claim_batch))

        claimed = await asyncio.to_thread(take)
        for c in claimed:
            task = asyncio.create_task(self._run_one(c))
            self._inflight.add(task)
            task.add_done_callback(self._inflight.discard)
        return len(claimed)

    async def run_once(self) -> int:
        """Probe everything due now, wait for the results and store them (refresh jobs, tests)."""
        total = 0
        while True:
            n = await self.claim_and_start()
            total += n
            if not n and not self._inflight:
                break
            if not n or len(self._inflight) >= self.max_inflight:  # full, or nothing due now: let probes end
                await asyncio.wait(set(self._inflight), return_when=asyncio.FIRST_COMPLETED)
        await self.flush()
        return total

    async def run(self, stop: asyncio.Event) -> None:
        async def flusher() -> None:
            while not stop.is_set():
                await asyncio.sleep(0.5)
                await self.flush()

        flushing = asyncio.create_task(flusher())
        try:
            while not stop.is_set():
                try:
                    started = await self.claim_and_start()
                except Exception:  # noqa: BLE001 - a database hiccup: try again next tick
                    log.exception("claiming due monitors failed")
                    started = 0
                if started < self.settings.monitor_claim_batch:
                    try:
                        await asyncio.wait_for(stop.wait(), self.settings.monitor_tick_seconds)
                    except TimeoutError:
                        pass
        finally:
            flushing.cancel()
            for task in list(self._inflight):
                task.cancel()
            await asyncio.gather(*self._inflight, flushing, return_exceptions=True)
            await self.flush()
            await self.probers.close()


class EngineThread:
    """The embedded engine: its own thread and event loop in the serving process."""

    def __init__(self, sessions: sessionmaker[Session], settings: Settings, events: Any = None) -> None:
        self.engine = Engine(sessions, settings, events)
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None

    def start(self) -> None:
        ready = threading.Event()

        def main() -> None:
            self._loop = asyncio.new_event_loop()
            self._stop = asyncio.Event()
            ready.set()
            try:
                self._loop.run_until_complete(self.engine.run(self._stop))
            except Exception:  # noqa: BLE001 - logged; the process goes on without probes
                log.exception("the probe engine stopped")
            finally:
                self._loop.close()

        self._thread = threading.Thread(target=main, name="cloudfold-probes", daemon=True)
        self._thread.start()
        ready.wait(5)

    def stop(self) -> None:
        if self._loop is None or self._stop is None or self._thread is None:
            return
        try:
            self._loop.call_soon_threadsafe(self._stop.set)
        except RuntimeError:  # its loop has already ended
            pass
        self._thread.join(timeout=10)
