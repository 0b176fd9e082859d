"""Emergency lockdown (seed 001 `POST /api/orchestrate/lockdown`): stop every unprotected running
machine in a scope at once, through the one action path; admins only, with a confirmation
phrase, and a dry run that lists what would stop. A lockdown keeps the machines it stopped, so
`restore` starts exactly those again (each through the action path as well). The row names the
process running it (`worker_id`); one that died mid-run is settled by `recovery.settle`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cloudfold.db.base import utcnow
from cloudfold.db.models import Lockdown, Resource
from cloudfold.domain import actions, audit, policy, workers
from cloudfold.domain.budgets import ownership, recovery, scope
from cloudfold.domain.context import Context, Principal
from cloudfold.errors import BadRequest, CloudfoldError, Conflict, Forbidden, NotFound
from cloudfold.settings import Settings

CONFIRMATION = "LOCKDOWN"
RESTORABLE = ("done", "interrupted")
DEFAULT_PROTECT_LABEL = "cloudfold.protect"


@dataclass(frozen=True)
class Preview:
    """A dry run's answer: what would stop, what is protected."""
    scope: scope.Scope
    would_stop: list[Resource]
    protected: list[Resource]


def _outcome(resource: Resource, result: str, message: str) -> dict[str, Any]:
    return {"resource_id": resource.id, "name": resource.name, "result": result, "message": message}


def _kept(machines: list[Resource], protect_label: str) -> list[dict[str, Any]]:
    return [_outcome(m, "protected", f"kept running: carries {protect_label!r}") for m in machines]


def _act(session: Session, ctx: Context, services, resource: Resource, action: str, via: str) -> dict[str, Any]:
    try:
        out = actions.perform(session, ctx, services.events, services.secretbox, services.settings, resource,
                              action, via)
    except CloudfoldError as exc:
        return _outcome(resource, "failed", exc.message)
    return _outcome(resource, "success", out.message)


def start(session: Session, ctx: Context, services, wanted: scope.Scope, *, confirm: str | None,
          dry_run: bool = False, protect_label: str = DEFAULT_PROTECT_LABEL,
          reason: str | None = None) -> Lockdown | Preview:
    p = ctx.principal
    if p is None or not p.is_admin:
        raise Forbidden("A lockdown needs an admin")
    if not dry_run and confirm != CONFIRMATION:
        raise BadRequest(f'confirm must be "{CONFIRMATION}" to stop every unprotected machine in scope')
    if not protect_label or len(protect_label) > 128:
        raise BadRequest("protect_label must be a label/tag name of 1 to 128 characters")
    wanted = scope.check(session, p, wanted)
    running = [m for m in scope.machines(session, p, wanted) if m.status == "running"]
    kept = [m for m in running if scope.protected(m, protect_label)]
    targets = [m for m in running if m not in kept]
    if dry_run:
        audit.record(session, ctx, "lockdown.dry_run", detail={**wanted.shown(), "would_stop": [m.id for m in targets]})
        session.commit()
        return Preview(wanted, targets, kept)
    lock = Lockdown(owner_id=p.user_id, scope=wanted.shown(), protect_label=protect_label, reason=reason,
                    status="running", resource_ids=[], created_at=utcnow(), worker_id=workers.PROCESS,
                    results=[*[_outcome(m, "pending", "not stopped yet") for m in targets], *_kept(kept, protect_label)])
    session.add(lock)
    session.flush()
    audit.record(session, ctx, "lockdown.start", target=f"lockdown:{lock.id}",
                 detail={**wanted.shown(), "targets": [m.id for m in targets], "protected": [m.id for m in kept],
                         "reason": reason})
    session.commit()
    results = [_act(session, ctx, services, m, "stop", recovery.via(lock.id)) for m in targets]
    results += _kept(kept, protect_label)
    lock = session.get(Lockdown, lock.id)
    lock.results, lock.status, lock.worker_id = results, "done", None
    lock.resource_ids = [r["resource_id"] for r in results if r["result"] == "success"]
    audit.record(session, ctx, "lockdown.done", target=f"lockdown:{lock.id}",
                 detail={"stopped": lock.resource_ids, "failed": [r["resource_id"] for r in results
                                                                  if r["result"] == "failed"]})
    session.commit()
    return lock


def get(session: Session, settings: Settings, viewer: Principal, lockdown_id: int, verb: str = policy.SEE) -> Lockdown:
    lock = session.get(Lockdown, lockdown_id)
    if lock is None:
        raise NotFound("Lockdown not found")
    policy.check(viewer, verb, lock, "Lockdown")
    return recovery.settle(session, settings, lock)


def visible(session: Session, settings: Settings, viewer: Principal, limit: int = 100) -> list[Lockdown]:
    locks = session.scalars(ownership.lockdowns(select(Lockdown), viewer).order_by(Lockdown.id.desc()).limit(limit))
    return [recovery.settle(session, settings, lock) for lock in list(locks)]


def restore(session: Session, ctx: Context, services, lockdown_id: int) -> Lockdown:
    """Start again what the lockdown stopped (machines since gone or already running are reported)."""
    p = ctx.principal
    if p is None or not p.is_admin:
        raise Forbidden("Restoring a lockdown needs an admin")
    lock = get(session, services.settings, p, lockdown_id, policy.CHANGE)
    taken = session.execute(update(Lockdown).where(Lockdown.id == lock.id, Lockdown.status.in_(RESTORABLE))
                            .values(status="restoring", worker_id=workers.PROCESS)
                            .execution_options(synchronize_session=False)).rowcount
    if not taken:  # one restore at a time, once
        session.rollback()
        raise Conflict(f"This lockdown is {lock.status}; only a finished or interrupted lockdown can be restored")
    audit.record(session, ctx, "lockdown.restore", target=f"lockdown:{lock.id}", detail={"resources": lock.resource_ids})
    session.commit()
    results = []
    for resource_id in list(lock.resource_ids):
        resource = session.get(Resource, resource_id)
        if resource is None:
            results.append({"resource_id": resource_id, "name": None, "result": "failed",
                            "message": "no longer in the inventory"})
            continue
        results.append(_act(session, ctx, services, resource, "start", recovery.via(lockdown_id, restore=True)))
    lock = session.get(Lockdown, lockdown_id)
    lock.status, lock.restored_at, lock.worker_id = "restored", utcnow(), None
    lock.results = [*lock.results, *[{**r, "restore": True} for r in results]]
    audit.record(session, ctx, "lockdown.restored", target=f"lockdown:{lock.id}",
                 detail={"started": [r["resource_id"] for r in results if r["result"] == "success"]})
    session.commit()
    return lock
