"""Process heartbeats: which cloudfold processes are alive, and taking over what dead ones owned.

Every process has one id (`PROCESS`), a `workers` row it heartbeats every
`worker_heartbeat_seconds`, and its id on what it owns while it works: running tasks
(`tasks.worker_id`), idempotency records in progress, and objects it is making on an engine
(`cloud_objects.worker_id`). A process is dead when its heartbeat is older than
`worker_stale_seconds`, or at once when it ran on this host and its pid is gone (kill -9).
`take_over` ends what dead processes owned: their tasks fail ("interrupted"), their sync locks
are freed, their idempotency records are dropped (a retry runs once), and their rows go.
Half-made engine objects are finished or rolled back by the reconciler
(domain/localcloud/reconcile.py), which asks `alive` too.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from cloudfold.db.base import utcnow
from cloudfold.db.models import Account, IdempotencyRecord, Task, Worker
from cloudfold.jobs.ticker import Ticker
from cloudfold.settings import Settings

log = logging.getLogger(__name__)
PROCESS = str(uuid.uuid4())  # this process, for its whole life
HOST = socket.gethostname()[:255]
INTERRUPTED = "interrupted: the process running it stopped"


def heartbeat(session: Session) -> None:
    """Say this process is alive (its row made on the first beat)."""
    now = utcnow()
    if not session.execute(update(Worker).where(Worker.id == PROCESS).values(heartbeat_at=now)).rowcount:
        session.add(Worker(id=PROCESS, host=HOST, pid=os.getpid(), started_at=now, heartbeat_at=now))
    session.commit()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def live_ids(session: Session, settings: Settings) -> set[str]:
    """The processes alive now: this one, and every other whose heartbeat is fresh and, on this
    host, whose pid still runs."""
    fresh_after = utcnow() - timedelta(seconds=settings.worker_stale_seconds)
    live = {PROCESS}
    for w in session.execute(select(Worker.id, Worker.host, Worker.pid, Worker.heartbeat_at)):
        if w.heartbeat_at >= fresh_after and (w.host != HOST or _pid_alive(w.pid)):
            live.add(w.id)
    return live


def alive(session: Session, settings: Settings, worker_id: str | None) -> bool:
    """Whether the process ``worker_id`` is alive (None: nobody drives it)."""
    return worker_id is not None and worker_id in live_ids(session, settings)


def take_over(session: Session, settings: Settings) -> dict[str, int]:
    """End what dead processes owned; returns what was taken over, by kind."""
    live = live_ids(session, settings)
    dead_tasks = list(session.scalars(select(Task.id).where(
        Task.status.in_(("pending", "running")), Task.worker_id.is_not(None), Task.worker_id.not_in(live))))
    if dead_tasks:
        session.execute(update(Task).where(Task.id.in_(dead_tasks))
                        .values(status="failed", error=INTERRUPTED, finished_at=utcnow()))
        session.execute(update(Account).where(Account.sync_task_id.in_(dead_tasks))
                        .values(sync_running_since=None))
    idem = session.execute(delete(IdempotencyRecord).where(
        IdempotencyRecord.status_code.is_(None), IdempotencyRecord.worker_id.is_not(None),
        IdempotencyRecord.worker_id.not_in(live))).rowcount
    gone = session.execute(delete(Worker).where(Worker.id.not_in(live))).rowcount
    session.commit()
    if dead_tasks or idem or gone:
        log.warning("took over from %d dead process(es): %d task(s) failed as interrupted, %d idempotency "
                    "record(s) released", gone, len(dead_tasks), idem)
    return {"workers": gone, "tasks": len(dead_tasks), "idempotency_records": idem}


class Heartbeat:
    """A thread keeping this process's heartbeat fresh while it works (the task queue's, or a
    CLI command's that runs a job itself); with ``take_over``, it also ends what dead
    processes owned every `worker_stale_seconds`."""

    def __init__(self, sessions: Callable[[], Session], settings: Settings, take_over: bool = False) -> None:
        self._sessions, self._settings, self._take_over = sessions, settings, take_over
        self._next_takeover = 0.0
        self._ticker = Ticker("cloudfold-heartbeat", settings.worker_heartbeat_seconds, self._beat)

    def start(self) -> None:
        with self._sessions() as session:
            heartbeat(session)
        self._next_takeover = time.monotonic() + self._settings.worker_stale_seconds
        self._ticker.start()

    def stop(self) -> None:
        self._ticker.stop()

    def _beat(self) -> None:
        with self._sessions() as session:
            heartbeat(session)
            if self._take_over and time.monotonic() >= self._next_takeover:
                self._next_takeover = time.monotonic() + self._settings.worker_stale_seconds
                take_over(session, self._settings)
