"""A group's activity history: each scaling action is written `in_progress` (the intent,
committed before the engine is asked) and finished `succeeded` or `failed`; each step is
audited (`autoscaling.<action>`) and published on `/ws` as an `autoscaling.activity` event
told to whoever may see the group."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cloudfold.db.base import utcnow
from cloudfold.db.models import AutoscalingActivity, AutoscalingGroup
from cloudfold.domain import audit, policy
from cloudfold.domain.context import Context

IN_PROGRESS, SUCCEEDED, FAILED = "in_progress", "succeeded", "failed"
INTERRUPTED = "interrupted: the process running it stopped (the group's instances are counted again)"


def shown(activity: AutoscalingActivity) -> dict[str, Any]:
    return {"id": activity.id, "group_id": activity.group_id, "action": activity.action, "cause": activity.cause,
            "status": activity.status, "instance_id": activity.instance_id, "message": activity.message,
            "started_at": activity.started_at, "ended_at": activity.ended_at}


def _event(group: AutoscalingGroup, activity: AutoscalingActivity) -> dict[str, Any]:
    facts = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in shown(activity).items()}
    return {**policy.event_facts(group), "type": "autoscaling.activity", "group_name": group.name, **facts}


def _audit(session: Session, ctx: Context, group: AutoscalingGroup, activity: AutoscalingActivity) -> None:
    result = {SUCCEEDED: audit.SUCCESS, FAILED: audit.FAILED}.get(activity.status, audit.SUCCESS)
    audit.record(session, ctx, f"autoscaling.{activity.action}", target=f"autoscaling_group:{group.id}",
                 result=result, detail={"activity_id": activity.id, "status": activity.status,
                                        "cause": activity.cause, "instance_id": activity.instance_id,
                                        "message": activity.message})


def start(session: Session, ctx: Context, bus, group: AutoscalingGroup, action: str, cause: str,
          instance_id: str | None = None) -> AutoscalingActivity:
    """Record the intent (committed with whatever the group changed) and tell it."""
    activity = AutoscalingActivity(group_id=group.id, owner_id=group.owner_id, action=action, cause=cause,
                                   status=IN_PROGRESS, instance_id=instance_id, started_at=utcnow())
    session.add(activity)
    session.flush()
    _audit(session, ctx, group, activity)
    session.commit()
    bus.publish(_event(group, activity))
    return activity


def finish(session: Session, ctx: Context, bus, group: AutoscalingGroup, activity: AutoscalingActivity,
           status: str, message: str | None = None) -> AutoscalingActivity:
    activity.status, activity.message, activity.ended_at = status, message, utcnow()
    _audit(session, ctx, group, activity)
    session.commit()
    bus.publish(_event(group, activity))
    return activity


def done(session: Session, ctx: Context, bus, group: AutoscalingGroup, action: str, cause: str) -> AutoscalingActivity:
    """An activity with no engine call (a change of desired capacity): recorded finished."""
    activity = start(session, ctx, bus, group, action, cause)
    return finish(session, ctx, bus, group, activity, SUCCEEDED)


def interrupted(session: Session, group: AutoscalingGroup) -> int:
    """Activities a dead round left in progress (the caller holds the group's lease, so no live
    round has any): failed, saying so."""
    count = session.execute(update(AutoscalingActivity).where(
        AutoscalingActivity.group_id == group.id, AutoscalingActivity.status == IN_PROGRESS)
        .values(status=FAILED, message=INTERRUPTED, ended_at=utcnow())
        .execution_options(synchronize_session=False)).rowcount
    session.commit()
    return count


def recent(session: Session, group: AutoscalingGroup, limit: int = 100) -> list[AutoscalingActivity]:
    return list(session.scalars(select(AutoscalingActivity).where(AutoscalingActivity.group_id == group.id)
                                .order_by(AutoscalingActivity.id.desc()).limit(limit)))
