"""Tasks: the durable record of background work (status, result, progress, log lines)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cloudfold.db.base import utcnow
from cloudfold.db.models import Task, TaskLog
from cloudfold.domain import policy
from cloudfold.domain.context import Principal
from cloudfold.errors import NotFound

PENDING, RUNNING, SUCCEEDED, FAILED = "pending", "running", "succeeded", "failed"
FINISHED = (SUCCEEDED, FAILED)


def create(session: Session, name: str, payload: dict[str, Any], owner_id: int | None,
           worker_id: str | None = None) -> Task:
    """A pending task, owned by the process ``worker_id`` that will run it (domain/workers.py)."""
    task = Task(name=name, payload=payload, owner_id=owner_id, status=PENDING, worker_id=worker_id)
    session.add(task)
    session.commit()
    return task


def get_visible(session: Session, viewer: Principal, task_id: str) -> Task:
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound("Task not found")
    policy.check(viewer, policy.SEE, task, "Task")
    return task


def logs(session: Session, task_id: str, limit: int = 1000) -> list[TaskLog]:
    stmt = select(TaskLog).where(TaskLog.task_id == task_id).order_by(TaskLog.id).limit(limit)
    return list(session.scalars(stmt))


def append_log(session: Session, task_id: str, message: str) -> None:
    session.add(TaskLog(task_id=task_id, message=message))
    session.commit()


def set_progress(session: Session, task_id: str, fraction: float, message: str | None) -> None:
    session.execute(update(Task).where(Task.id == task_id).values(progress=max(0.0, min(1.0, fraction))))
    if message:
        session.add(TaskLog(task_id=task_id, message=message))
    session.commit()


def claim(session: Session, task_id: str, worker_id: str | None = None) -> Task | None:
    """Move a pending task to running under the process ``worker_id``; None if another worker got it first."""
    claimed = session.execute(
        update(Task)
        .where(Task.id == task_id, Task.status == PENDING)
        .values(status=RUNNING, started_at=utcnow(), worker_id=worker_id)
    ).rowcount
    session.commit()
    return session.get(Task, task_id) if claimed else None


def finish(session: Session, task_id: str, *, result: Any = None, error: str | None = None) -> None:
    values: dict[str, Any] = {"finished_at": utcnow()}
    if error is None:
        values.update(status=SUCCEEDED, result=result, progress=1.0)
    else:
        values.update(status=FAILED, error=error)
    session.execute(update(Task).where(Task.id == task_id).values(**values))
    session.commit()


def pending_ids(session: Session, worker_id: str) -> list[str]:
    """Pending tasks this process should run: its own, and those no process named."""
    mine = (Task.worker_id == worker_id) | Task.worker_id.is_(None)
    return list(session.scalars(select(Task.id).where(Task.status == PENDING, mine).order_by(Task.created_at)))


def fail_interrupted(session: Session) -> int:
    """Tasks left running with no process named (written before processes were recorded) can
    never finish: mark them failed. Those of a named process: `workers.take_over`."""
    n = session.execute(
        update(Task)
        .where(Task.status == RUNNING, Task.worker_id.is_(None))
        .values(status=FAILED, error="interrupted: the process running it stopped", finished_at=utcnow())
    ).rowcount
    session.commit()
    return n
