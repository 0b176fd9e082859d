"""Lockdowns whose process died (kill -9) mid-run: settled from the action history.

A lockdown (or its restore) runs inside one request and names its process on the row
(`lockdowns.worker_id`, as tasks do: domain/workers.py). It lists its targets as `pending`
before the first stop, and every stop goes through the action path with `via "lockdown {id}"`
(restore: `"lockdown {id} restore"`), so the action history says exactly what it did. A
lockdown left `running` or `restoring` by a dead process is settled — at start (job
`budgets.settle_lockdowns`) and by any request that meets it (GET, list, restore): each
target's result is read from the history (`success`/`failed`, or `not_reached` when the process
died before it), `stopped` is what it did stop, and the status becomes `done` when every target
was reached, else `interrupted`; a restore cut short goes back to `interrupted` with what it
started. Both can then be restored. One conditional UPDATE settles it, so two settlers agree."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cloudfold.db.models import Lockdown, ResourceAction
from cloudfold.domain import audit, workers
from cloudfold.domain.context import SYSTEM
from cloudfold.jobs.registry import JobContext, job
from cloudfold.settings import Settings

UNSETTLED = ("running", "restoring")
NOT_REACHED = "not_reached: the process running the lockdown stopped before this machine"


def via(lockdown_id: int, restore: bool = False) -> str:
    """The action history's `via` of a lockdown's stops (or its restore's starts)."""
    return f"lockdown {lockdown_id} restore" if restore else f"lockdown {lockdown_id}"


def _history(session: Session, lock: Lockdown, restore: bool) -> dict[int, ResourceAction]:
    """The last action the lockdown (or its restore) took on each machine."""
    rows = session.scalars(select(ResourceAction).where(ResourceAction.via == via(lock.id, restore))
                           .order_by(ResourceAction.id))
    return {row.resource_id: row for row in rows}


def _outcome(target: dict[str, Any], row: ResourceAction | None, restore: bool) -> dict[str, Any]:
    out = {"resource_id": target["resource_id"], "name": target.get("name")}
    if row is None:
        return {**out, "result": "not_reached", "message": NOT_REACHED, **({"restore": True} if restore else {})}
    return {**out, "result": "success" if row.result == "success" else "failed", "message": row.message or "",
            **({"restore": True} if restore else {})}


def _settled(session: Session, lock: Lockdown) -> dict[str, Any]:
    """The row's new values, read from the action history."""
    if lock.status == "running":
        done = _history(session, lock, restore=False)
        results = [r if r["result"] != "pending" else _outcome(r, done.get(r["resource_id"]), False)
                   for r in lock.results]
        stopped = [r["resource_id"] for r in results if r["result"] == "success"]
        status = "interrupted" if any(r["result"] == "not_reached" for r in results) else "done"
        return {"status": status, "results": results, "resource_ids": stopped}
    started = _history(session, lock, restore=True)
    restored = [_outcome({"resource_id": rid, "name": None}, started.get(rid), True) for rid in lock.resource_ids]
    return {"status": "interrupted", "results": [*lock.results, *restored], "resource_ids": lock.resource_ids}


def settle(session: Session, settings: Settings, lock: Lockdown) -> Lockdown:
    """Settle ``lock`` if the process running it is gone; answers the row as it now is."""
    if lock.status not in UNSETTLED or workers.alive(session, settings, lock.worker_id):
        return lock
    was, values = lock.status, _settled(session, lock)
    taken = session.execute(update(Lockdown).where(Lockdown.id == lock.id, Lockdown.status == was,
                                                   Lockdown.worker_id == lock.worker_id)
                            .values(**values, worker_id=None).execution_options(synchronize_session=False)).rowcount
    if taken:
        audit.record(session, SYSTEM, "lockdown.interrupted", target=f"lockdown:{lock.id}", actor="system",
                     detail={"was": was, "status": values["status"], "stopped": values["resource_ids"],
                             "not_reached": [r["resource_id"] for r in values["results"]
                                             if r["result"] == "not_reached"]})
    session.commit()
    session.refresh(lock)
    return lock


def settle_dead(session: Session, settings: Settings) -> int:
    """Settle every lockdown whose process is gone; answers how many."""
    live = workers.live_ids(session, settings)
    dead = list(session.scalars(select(Lockdown).where(Lockdown.status.in_(UNSETTLED))))
    return sum(1 for lock in dead if lock.worker_id not in live and settle(session, settings, lock).status
               not in UNSETTLED)


@job("budgets.settle_lockdowns")
def settle_lockdowns_job(ctx: JobContext, payload: dict) -> dict:
    with ctx.sessions() as session:
        return {"settled": settle_dead(session, ctx.settings)}
