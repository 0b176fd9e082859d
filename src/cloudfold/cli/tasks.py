"""`cloudfold tasks wait TASK_ID`: follow a background task in the database, with a progress bar
and its log lines as they come, until it ends (exit 0 succeeded, 1 failed, missing or timed out)."""

from __future__ import annotations

import time

import typer

from cloudfold.cli.sync import progress_display
from cloudfold.db.models import Task
from cloudfold.domain import tasks
from cloudfold.settings import Settings


def wait(settings: Settings, task_id: str, timeout: float, interval: float = 0.25) -> int:
    from cloudfold.cli.ops import _sessions

    sessions = _sessions(settings)
    seen = 0
    deadline = time.monotonic() + timeout
    with progress_display() as progress:
        bar = progress.add_task(f"task {task_id[:8]}", total=1.0)
        while True:
            with sessions() as session:
                task = session.get(Task, task_id)
                if task is None:
                    progress.stop()
                    typer.echo(f"error: task {task_id} not found", err=True)
                    return 1
                lines = tasks.logs(session, task_id, limit=seen + 1000)[seen:]
                status, fraction, name = task.status, task.progress or 0.0, task.name
                result, error = task.result, task.error
            for line in lines:
                progress.console.print(line.message)
            seen += len(lines)
            progress.update(bar, completed=fraction if status not in tasks.FINISHED else 1.0,
                            description=f"{name} {task_id[:8]}: {status}")
            if status in tasks.FINISHED:
                break
            if time.monotonic() > deadline:
                progress.stop()
                typer.echo(f"error: task {task_id} still {status} after {timeout:g}s", err=True)
                return 1
            time.sleep(interval)
    if status == tasks.SUCCEEDED:
        typer.echo(f"succeeded: {result}")
        return 0
    typer.echo(f"failed: {error}", err=True)
    return 1
