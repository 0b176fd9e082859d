"""Whose a monitor is (`domain/policy`), and the `monitors` quota.

A user's monitor is theirs alone; an auto monitor follows its machine (a shared account's
machine: seen by everyone, changed by admins). Auto monitors count toward no quota: the
inventory makes them, not the user."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from cloudfold.db.models import Monitor, Resource
from cloudfold.domain import policy, quotas
from cloudfold.domain.context import Principal
from cloudfold.domain.policy.rules import Ownership


@policy.rule(Monitor)
def _monitor(monitor: Monitor) -> Ownership:
    if monitor.resource is not None:
        return policy.owner_of(monitor.resource)
    return Ownership(monitor.owner_id)


def visible(stmt, viewer: Principal | None):
    """The monitors the viewer may see: their own, and those of machines they may see."""
    if viewer is None or viewer.is_admin:
        return stmt
    machines = policy.resources(select(Resource.id), viewer)
    return stmt.where(or_(Monitor.owner_id == viewer.user_id,
                          Monitor.resource_id.in_(machines.scalar_subquery())))


@quotas.register("monitors", 50, "Uptime monitors (auto monitors of machines not counted)")
def _monitors(session: Session, user_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Monitor).where(
        Monitor.owner_id == user_id, Monitor.resource_id.is_(None))) or 0
