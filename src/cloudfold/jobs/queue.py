"""The one interface for background work, and its in-process implementation.

``enqueue`` writes a pending Task row and hands its id to workers; a worker claims the row
(pending -> running, atomically), runs the registered job with a fresh JobContext and
records the result. Everything a job needs travels through the database, so a
distributed backend (a later issue) only has to move task ids.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from cloudfold.domain import tasks, workers
from cloudfold.jobs.registry import JobContext, registered
from cloudfold.jobs.ticker import Ticker
from cloudfold.settings import Settings

log = logging.getLogger("cloudfold.jobs")


class TaskQueue(Protocol):
    def enqueue(self, name: str, payload: dict[str, Any] | None = None, owner_id: int | None = None) -> str: ...

    def every(self, name: str, seconds: float, payload: dict[str, Any] | None = None) -> None: ...

    def start(self) -> None: ...

    def stop(self) -> None: ...


@dataclass
class _Periodic:
    name: str
    seconds: float
    payload: dict[str, Any]


class InProcessQueue:
    def __init__(self, settings: Settings, sessions: sessionmaker[Session]) -> None:
        self._settings = settings
        self._sessions = sessions
        self.services: Any = None  # set by Runtime: handed to every job's context
        self._pool: ThreadPoolExecutor | None = None
        self._periodic: list[_Periodic] = []
        self._scheduler = Ticker("cloudfold-scheduler", 0.5, self._schedule)
        self._due: dict[str, float] = {}
        self._heartbeat = workers.Heartbeat(sessions, settings, take_over=True)

    # -- the interface -------------------------------------------------------------
    def enqueue(self, name: str, payload: dict[str, Any] | None = None, owner_id: int | None = None) -> str:
        if registered(name) is None:
            raise KeyError(f"no job named {name!r}")
        with self._sessions() as session:
            task_id = tasks.create(session, name, payload or {}, owner_id, workers.PROCESS).id
        self._submit(task_id)
        return task_id

    def every(self, name: str, seconds: float, payload: dict[str, Any] | None = None) -> None:
        self._periodic.append(_Periodic(name, seconds, payload or {}))

    def start(self) -> None:
        self._pool = ThreadPoolExecutor(self._settings.job_workers, thread_name_prefix="cloudfold-job")
        self._heartbeat.start()
        with self._sessions() as session:
            interrupted = tasks.fail_interrupted(session) + workers.take_over(session, self._settings)["tasks"]
            pending = tasks.pending_ids(session, workers.PROCESS)
        if interrupted:
            log.warning("%d task(s) were running when the last process stopped; marked failed", interrupted)
        for task_id in pending:
            self._submit(task_id)
        self._due = {p.name: time.monotonic() + p.seconds for p in self._periodic}
        self._scheduler.start()

    def stop(self) -> None:
        self._scheduler.stop()
        self._heartbeat.stop()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    # -- internals -------------------------------------------------------------------
    def _submit(self, task_id: str) -> None:
        if self._pool is None:
            return  # picked up by start()
        self._pool.submit(self._run, task_id)

    def _run(self, task_id: str) -> None:
        with self._sessions() as session:
            task = tasks.claim(session, task_id, workers.PROCESS)
        if task is None:
            return
        fn = registered(task.name)
        ctx = JobContext(task_id=task_id, settings=self._settings, sessions=self._sessions, services=self.services)
        try:
            if fn is None:
                raise LookupError(f"no job named {task.name!r} in this process")
            result = fn(ctx, dict(task.payload or {}))
        except Exception as exc:  # the task records the failure; the worker lives on
            log.exception("task %s (%s) failed", task_id, task.name)
            with self._sessions() as session:
                tasks.finish(session, task_id, error=f"{type(exc).__name__}: {exc}")
            return
        with self._sessions() as session:
            tasks.finish(session, task_id, result=result)

    def _schedule(self) -> None:
        """Enqueue each periodic job that is due (every half second)."""
        now = time.monotonic()
        for p in self._periodic:
            if now >= self._due.get(p.name, now):
                self._due[p.name] = now + p.seconds
                try:
                    self.enqueue(p.name, p.payload)
                except Exception:
                    log.exception("could not enqueue periodic job %s", p.name)
