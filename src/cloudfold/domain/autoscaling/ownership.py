"""Whose a group is (`domain/policy`), its list filter, and the `autoscaling_groups` quota.
A group and its activities are their maker's (others: 404); admins see and change all. The
group's instances are ordinary instances of the same owner, counted by the `instances` quota."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloudfold.db.models import AutoscalingGroup
from cloudfold.domain import policy, quotas
from cloudfold.domain.policy.rules import Ownership, owned


@policy.rule(AutoscalingGroup)
def _group(group: AutoscalingGroup) -> Ownership:
    return Ownership(group.owner_id)


groups = owned(AutoscalingGroup.owner_id)


@quotas.register("autoscaling_groups", 5, "Autoscaling groups (their instances count as instances)")
def _groups(session: Session, user_id: int) -> int:
    return session.scalar(select(func.count()).select_from(AutoscalingGroup).where(
        AutoscalingGroup.owner_id == user_id)) or 0
