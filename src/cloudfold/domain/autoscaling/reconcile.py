"""The reconciler (job `autoscaling.reconcile`, every `autoscaling_interval_seconds`): each
group, under its lease (one round of a group at a time in any process; a dead round's lease
runs out), as its owner now (a disabled owner's groups wait):

1. activities a dead round left `in_progress` are marked failed (interrupted);
2. a group being deleted (a delete that did not finish) is finished;
3. its members are read from the database and live from the engine; stopped, vanished and
   (with a load balancer) unhealthy-after-grace ones are terminated;
4. its policy may change the desired capacity (a `scale` activity);
5. instances are launched up to desired (never past max; a quota refusal is a failed activity
   and ends the round's launches) or the newest are terminated down to it.

Every engine call comes after its activity is recorded (intent first)."""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from cloudfold.db.base import utcnow
from cloudfold.db.models import AutoscalingGroup, User
from cloudfold.domain import audit, users
from cloudfold.domain.autoscaling import activities, members, policies
from cloudfold.domain.context import Context
from cloudfold.domain.localcloud import core
from cloudfold.errors import CloudfoldError
from cloudfold.jobs.registry import JobContext, job

log = logging.getLogger("cloudfold.autoscaling")
LEASE_SECONDS = 300  # renewed at every step of a round; a dead round's group is free after it
DELETING = "deleting"
HELD = "another round holds the group"


def lease(session: Session, group_id: str, now: datetime | None = None) -> bool:
    """Take (or renew) the group's lease when it is free; one conditional UPDATE."""
    now = now or utcnow()
    taken = session.execute(update(AutoscalingGroup).where(
        AutoscalingGroup.id == group_id,
        or_(AutoscalingGroup.lease_until.is_(None), AutoscalingGroup.lease_until < now))
        .values(lease_until=now + timedelta(seconds=LEASE_SECONDS))
        .execution_options(synchronize_session=False)).rowcount
    session.commit()
    return bool(taken)


def release(session: Session, group_id: str) -> None:
    session.rollback()
    session.execute(update(AutoscalingGroup).where(AutoscalingGroup.id == group_id).values(lease_until=None)
                    .execution_options(synchronize_session=False))
    session.commit()


def wait_for_lease(session: Session, group_id: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not lease(session, group_id):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.2)
    return True


def owner_cloud(session: Session, services, group: AutoscalingGroup) -> core.Cloud | None:
    """The group's owner as they are now (None when gone or disabled)."""
    user = session.get(User, group.owner_id)
    if user is None or not user.is_active:
        return None
    ctx = Context(principal=users.principal_for(user), extra={"autoscaling_group": group.id})
    return core.Cloud(session, ctx, services.events, services.secretbox, services.settings)


def finish_delete(cloud: core.Cloud, group: AutoscalingGroup) -> dict[str, int]:
    """Drain and terminate the group's instances (unless kept), then drop the group (its
    activities go with it; the audit log keeps them)."""
    done = {"terminated": 0, "kept": 0, "failed": 0}
    for obj in members.of(cloud, group):
        if group.keep_instances:
            done["kept"] += 1
        elif members.terminate(cloud, group, obj, f"group {group.name} deleted"):
            done["terminated"] += 1
        else:
            done["failed"] += 1
    if done["failed"]:
        return done  # the next round tries again
    audit.record(cloud.session, cloud.ctx, "autoscaling_group.deleted", target=f"autoscaling_group:{group.id}",
                 detail={"name": group.name, **done})
    cloud.session.execute(delete(AutoscalingGroup).where(AutoscalingGroup.id == group.id))
    cloud.session.commit()
    return done


def _renew(cloud: core.Cloud, group: AutoscalingGroup) -> None:
    cloud.session.execute(update(AutoscalingGroup).where(AutoscalingGroup.id == group.id)
                          .values(lease_until=utcnow() + timedelta(seconds=LEASE_SECONDS))
                          .execution_options(synchronize_session=False))
    cloud.session.commit()


def converge(cloud: core.Cloud, group: AutoscalingGroup, now: datetime | None = None) -> dict[str, Any]:
    """One round for one group whose lease the caller holds (steps 3-5 above)."""
    session, now = cloud.session, now or utcnow()
    out = {"replaced": 0, "launched": 0, "terminated": 0, "failed": 0}
    for obj, why in members.unhealthy(cloud, group, members.of(cloud, group)):
        out["replaced" if members.terminate(cloud, group, obj, f"{why}: replacing it") else "failed"] += 1
    live = members.of(cloud, group)
    running = [o for o in live if o.resource.status == "running"]
    change = policies.wanted(session, group, running, now, cloud.settings.autoscaling_cpu_window_seconds)
    session.commit()  # what the policy noted (the schedule fire it applied)
    if change is not None:
        before, group.desired_capacity, group.last_scaled_at = group.desired_capacity, change.desired, now
        activities.done(session, cloud.ctx, cloud.bus, group, "scale",
                        f"desired capacity {before} -> {change.desired}: {change.cause}")
    missing = min(group.desired_capacity, group.max_size) - len(live)
    for _ in range(max(0, missing)):
        have = len(live) + out["launched"]
        if not members.launch(cloud, group, f"{have} of {group.desired_capacity} desired instance(s) exist"):
            out["failed"] += 1
            break  # a refusal (quota, engine) now holds for the rest of this round too
        out["launched"] += 1
        _renew(cloud, group)
    for obj in members.newest_first(live)[:max(0, -missing)]:
        cause = f"{len(live)} instance(s) for a desired capacity of {group.desired_capacity}"
        out["terminated" if members.terminate(cloud, group, obj, cause) else "failed"] += 1
        _renew(cloud, group)
    return out


def reconcile_group(session: Session, services, group_id: str, now: datetime | None = None) -> dict[str, Any]:
    """One round for one group, unless another round holds it (then that one does the work)."""
    if not lease(session, group_id):
        return {"skipped": HELD}
    try:
        group = session.get(AutoscalingGroup, group_id)
        if group is None:
            return {"skipped": "deleted"}
        cloud = owner_cloud(session, services, group)
        if cloud is None:
            return {"skipped": "its owner is disabled"}
        activities.interrupted(session, group)
        if group.status == DELETING:
            return {"deleted": finish_delete(cloud, group)}
        return converge(cloud, group, now)
    except CloudfoldError as exc:  # the engine down: the next round tries again
        session.rollback()
        return {"error": exc.message}
    finally:
        release(session, group_id)


def reconcile(sessions, services, now: datetime | None = None, only: str | None = None) -> dict[str, Any]:
    """One round for every group (or ``only`` that one), each in its own session (one group's
    failure never stops the others)."""
    with sessions() as session:
        ids = [only] if only else list(session.scalars(select(AutoscalingGroup.id)
                                                         .order_by(AutoscalingGroup.created_at)))
    result: dict[str, Any] = {}
    for group_id in ids:
        with sessions() as session:
            try:
                result[group_id] = reconcile_group(session, services, group_id, now)
            except Exception:
                session.rollback()
                log.exception("reconciling autoscaling group %s failed", group_id)
                result[group_id] = {"error": "unexpected failure (logged)"}
    return result


@job("autoscaling.reconcile")
def reconcile_job(jctx: JobContext, payload: dict) -> dict[str, Any]:
    return reconcile(jctx.sessions, jctx.services, only=payload.get("group_id"))
