"""The job registry: name -> function. Jobs register at import with @job("name")."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from cloudfold.settings import Settings

JobFn = Callable[["JobContext", dict[str, Any]], Any]
_JOBS: dict[str, JobFn] = {}


@dataclass
class JobContext:
    task_id: str
    settings: Settings
    sessions: sessionmaker[Session]
    services: Any = None  # the process's Runtime: queue, event bus, secret box (never request state)

    def log(self, message: str) -> None:
        from cloudfold.domain import tasks

        with self.sessions() as session:
            tasks.append_log(session, self.task_id, message)

    def progress(self, fraction: float, message: str | None = None) -> None:
        from cloudfold.domain import tasks

        with self.sessions() as session:
            tasks.set_progress(session, self.task_id, fraction, message)


def job(name: str) -> Callable[[JobFn], JobFn]:
    def register(fn: JobFn) -> JobFn:
        _JOBS[name] = fn
        return fn

    return register


def registered(name: str) -> JobFn | None:
    return _JOBS.get(name)


def names() -> list[str]:
    return sorted(_JOBS)
