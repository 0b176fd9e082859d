"""Who owns alerting objects (`domain/policy` rules): a rule and its alerts are their maker's;
a channel made by an admin belongs to no one and is shared (every alert goes through it,
everyone sees that it exists, admins change it), a member's channel is theirs alone."""

from __future__ import annotations

from sqlalchemy import or_

from cloudfold.db.models import Alert, AlertChannel, AlertDelivery, AlertRule
from cloudfold.domain import policy
from cloudfold.domain.context import Principal
from cloudfold.domain.policy.rules import Ownership


@policy.rule(AlertRule)
def _rule(rule: AlertRule) -> Ownership:
    return Ownership(rule.owner_id)


@policy.rule(Alert)
def _alert(alert: Alert) -> Ownership:
    return Ownership(alert.owner_id)


@policy.rule(AlertChannel)
def _channel(channel: AlertChannel) -> Ownership:
    return Ownership(channel.owner_id, shared=channel.owner_id is None)


def _mine(column):
    def apply(stmt, viewer: Principal | None):
        return stmt if viewer is None or viewer.is_admin else stmt.where(column == viewer.user_id)

    return apply


rules = _mine(AlertRule.owner_id)
alerts = _mine(Alert.owner_id)


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
