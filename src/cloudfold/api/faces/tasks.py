"""Background task status, result and log lines: GET /tasks/{task_id} (owner or admin)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from sqlalchemy.orm import Session

from cloudfold.api.deps import get_session, require
from cloudfold.api.errors import responses
from cloudfold.domain import tasks
from cloudfold.domain.context import Principal

router = APIRouter(prefix="/tasks", tags=["tasks"])


class TaskLogOut(BaseModel):
    time: datetime
    message: str


class TaskOut(BaseModel):
    task_id: str
    name: str
    status: str
    progress: float
    result: Any = None
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    logs: list[TaskLogOut]


def task_out(session: Session, task) -> TaskOut:
    lines = [TaskLogOut(time=line.time, message=line.message) for line in tasks.logs(session, task.id)]
    return TaskOut(task_id=task.id, name=task.name, status=task.status, progress=task.progress, result=task.result,
                   error=task.error, created_at=task.created_at, started_at=task.started_at,
                   finished_at=task.finished_at, logs=lines)


@router.get("/{task_id}", response_model=TaskOut, summary="A background task's status, result and log lines",
            responses=responses(401, 403, 404, 429))
def get_task(task_id: str, session: Session = Depends(get_session),
             principal: Principal = Depends(require("read"))) -> TaskOut:
    return task_out(session, tasks.get_visible(session, principal, task_id))
