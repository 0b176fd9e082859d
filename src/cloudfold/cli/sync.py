"""`cloudfold sync ACCOUNT`: run one account's sync in this process, showing its progress."""

from __future__ import annotations

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from cloudfold.domain import accounts, sync, workers
from cloudfold.domain.context import Principal
from cloudfold.errors import CloudfoldError
from cloudfold.jobs.registry import JobContext
from cloudfold.settings import Settings

CLI_ADMIN = Principal(user_id=0, user_uuid="cli", email="cli", role="admin", scopes=frozenset({"read", "write", "admin"}))


def progress_display() -> Progress:
    """The progress display of the commands that follow work: spinner, text, bar, time."""
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())


class _ProgressContext(JobContext):
    """A JobContext whose log lines drive a progress display instead of the task table."""

    def __init__(self, progress: Progress, bar, **kwargs) -> None:
        super().__init__(**kwargs)
        self._progress, self._bar = progress, bar

    def log(self, message: str) -> None:
        if message.startswith("page "):
            seen = int(message.rsplit(", ", 1)[1].split()[0])
            self._progress.update(self._bar, completed=seen, description=f"synced {seen} resources")
        else:
            self._progress.console.print(message)


def run_sync(settings: Settings, ref: str) -> int:
    from cloudfold.runtime import Runtime
    from cloudfold.cli.ops import _sessions

    _sessions(settings)  # migrates
    runtime = Runtime.build(settings)
    try:
        with runtime.sessions() as session:
            try:
                account = accounts.get(session, CLI_ADMIN, ref)
            except CloudfoldError as exc:
                typer.echo(f"error: {exc.message}", err=True)
                return 1
            with runtime.sessions() as s2:
                from cloudfold.domain import tasks

                task = tasks.create(s2, "inventory.sync", {"account_id": account.id}, None, workers.PROCESS)
        with progress_display() as progress:
            bar = progress.add_task(f"syncing {account.slug}", total=None)
            ctx = _ProgressContext(progress, bar, task_id=task.id, settings=settings, sessions=runtime.sessions,
                                   services=runtime)
            beats = workers.Heartbeat(runtime.sessions, settings)  # killed, its sync is taken over at once
            beats.start()
            with runtime.sessions() as session:
                tasks.claim(session, task.id, workers.PROCESS)
            try:
                result = sync.sync_job(ctx, {"account_id": account.id})
            except Exception as exc:  # the job recorded the failure on the account
                with runtime.sessions() as session:
                    tasks.finish(session, task.id, error=f"{type(exc).__name__}: {exc}")
                typer.echo(f"sync failed: {exc}", err=True)
                return 1
            finally:
                beats.stop()
            with runtime.sessions() as session:
                tasks.finish(session, task.id, result=result)
        typer.echo(f"done: {result}")
        return 0
    finally:
        runtime.engine.dispose()
