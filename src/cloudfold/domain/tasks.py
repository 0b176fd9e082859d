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


def create(session: Session, name: str, payload: dict[str, Any], owner_id: int | None) -> Task:
    task = Task(name=name, payload=payload, owner_id=owner_id, status=PENDING)
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


def claim(session: Session, task_id: str) -> Task | None:
    """Move a pending task to running; None if another worker got it first."""
    claimed = session.execute(
        update(Task)
        .where(Task.id == task_id, Task.status == PENDING)
        .values(status=RUNNING, started_at=utcnow())
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


def pending_ids(session: Session) -> list[str]:
    return list(session.scalars(select(Task.id).where(Task.status == PENDING).order_by(Task.created_at)))


def fail_interrupted(session: Session) -> int:
    """Tasks left running by a process that died can never finish: mark them failed."""
    n = session.execute(
        update(Task)
        .where(Task.status == RUNNING)
        .values(status=FAILED, error="interrupted: the process running it stopped", finished_at=utcnow())
    ).rowcount
    session.commit()
    return n
