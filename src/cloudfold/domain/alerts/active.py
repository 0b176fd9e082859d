"""Alerts as people see them: lists (firing, resolved or all) filtered by ownership, and
acknowledging and silencing (audited; 409 on a resolved alert)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloudfold.db.base import utcnow
from cloudfold.db.models import Alert, AlertRule
from cloudfold.domain import audit, policy
from cloudfold.domain.alerts import ownership
from cloudfold.domain.context import Context, Principal
from cloudfold.errors import BadRequest, Conflict

STATUSES = ("firing", "resolved", "all")
MAX_SILENCE_MINUTES = 30 * 24 * 60


def listed(session: Session, viewer: Principal, status: str = "firing", limit: int = 100,
           rule_id: int | None = None) -> list[tuple[Alert, AlertRule]]:
    if status not in STATUSES:
        raise BadRequest(f"status must be one of: {', '.join(STATUSES)}")
    stmt = select(Alert, AlertRule).join(AlertRule, AlertRule.id == Alert.rule_id)
    if status != "all":
        stmt = stmt.where(Alert.status == status)
    if rule_id is not None:
        stmt = stmt.where(Alert.rule_id == rule_id)
    stmt = ownership.alerts(stmt, viewer).order_by(Alert.id.desc()).limit(limit)
    return [(a, r) for a, r in session.execute(stmt).all()]


def firing_count(session: Session, viewer: Principal) -> tuple[int, int]:
    """How many alerts the viewer may see are firing, and how many of those are acknowledged."""
    stmt = ownership.alerts(select(Alert.acknowledged_at).join(AlertRule, AlertRule.id == Alert.rule_id)
                            .where(Alert.status == "firing"), viewer)
    acks = list(session.scalars(stmt))
    return len(acks), sum(1 for a in acks if a is not None)


def get(session: Session, viewer: Principal, alert_id: int, verb: str = policy.SEE) -> tuple[Alert, AlertRule]:
    alert = ownership.fetch(session, viewer, Alert, alert_id, verb, "Alert")
    return alert, session.get(AlertRule, alert.rule_id)


def _firing(session: Session, ctx: Context, alert_id: int) -> tuple[Alert, AlertRule]:
    alert, rule = get(session, ctx.principal, alert_id, policy.CHANGE)
    if alert.status != "firing":
        raise Conflict("The alert is resolved")
    return alert, rule


def acknowledge(session: Session, ctx: Context, alert_id: int, on: bool = True) -> tuple[Alert, AlertRule]:
    """Acknowledge (no repeated notifications; its resolution is still told) or take it back."""
    alert, rule = _firing(session, ctx, alert_id)
    alert.acknowledged_at = utcnow() if on else None
    alert.acknowledged_by = ctx.actor if on else None
    audit.record(session, ctx, "alert.ack" if on else "alert.unack", target=f"alert:{alert.id}")
    session.commit()
    return alert, rule


def silence(session: Session, ctx: Context, alert_id: int, minutes: int | None) -> tuple[Alert, AlertRule]:
    """Silence for ``minutes`` (no notifications until then), or end the silence (None)."""
    if minutes is not None and (isinstance(minutes, bool) or not isinstance(minutes, int)
                                or not 1 <= minutes <= MAX_SILENCE_MINUTES):
        raise BadRequest(f"minutes must be an integer from 1 to {MAX_SILENCE_MINUTES}")
    alert, rule = _firing(session, ctx, alert_id)
    alert.silenced_until = utcnow() + timedelta(minutes=minutes) if minutes else None
    audit.record(session, ctx, "alert.silence" if minutes else "alert.unsilence", target=f"alert:{alert.id}",
                 detail={"minutes": minutes} if minutes else None)
    session.commit()
    return alert, rule
