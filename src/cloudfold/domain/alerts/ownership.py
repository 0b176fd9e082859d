"""Who owns alerting objects (`domain/policy` rules): a rule and its alerts are their maker's;
a channel made by an admin belongs to no one and is shared (every alert goes through it,
everyone sees that it exists, admins change it), a member's channel is theirs alone."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import or_
from sqlalchemy.orm import Session

from cloudfold.db.models import Alert, AlertChannel, AlertDelivery, AlertRule
from cloudfold.domain import policy
from cloudfold.domain.context import Principal
from cloudfold.domain.policy.rules import Ownership, owned
from cloudfold.errors import NotFound

T = TypeVar("T")


@policy.rule(AlertRule)
def _rule(rule: AlertRule) -> Ownership:
    return Ownership(rule.owner_id)


@policy.rule(Alert)
def _alert(alert: Alert) -> Ownership:
    return Ownership(alert.owner_id)


@policy.rule(AlertChannel)
def _channel(channel: AlertChannel) -> Ownership:
    return Ownership(channel.owner_id, shared=channel.owner_id is None)


rules = owned(AlertRule.owner_id)
alerts = owned(Alert.owner_id)


def fetch(session: Session, viewer: Principal, model: type[T], object_id: int, verb: str, what: str) -> T:
    """One object by id when the viewer may `verb` it (404 when they may not even see it)."""
    found = session.get(model, object_id)
    if found is None:
        raise NotFound(f"{what} not found")
    policy.check(viewer, verb, found, what)
    return found


def channels(stmt, viewer: Principal | None):
    if viewer is None or viewer.is_admin:
        return stmt
    return stmt.where(or_(AlertChannel.owner_id == viewer.user_id, AlertChannel.owner_id.is_(None)))


def deliveries(stmt, viewer: Principal | None):
    """A member reads the log of their own channels only (a shared channel's carries everyone's alerts)."""
    if viewer is None or viewer.is_admin:
        return stmt
    return stmt.join(AlertChannel, AlertChannel.id == AlertDelivery.channel_id).where(
        AlertChannel.owner_id == viewer.user_id)
