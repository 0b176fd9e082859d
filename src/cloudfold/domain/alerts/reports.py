"""What seed 001 asks of alerting: a test through every channel (or one) with each channel's
outcome, and which channels are configured and whether their last delivery worked (no
secrets); and the delivery log."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloudfold.db.base import utcnow
from cloudfold.db.models import AlertChannel, AlertDelivery
from cloudfold.domain import audit, policy
from cloudfold.domain.alerts import channels, notify, ownership
from cloudfold.domain.context import Context, Principal
from cloudfold.security.secretbox import SecretBox
from cloudfold.settings import Settings


@dataclass(frozen=True)
class TestResult:
    channel: AlertChannel
    error: str | None


def send_tests(session: Session, ctx: Context, box: SecretBox, settings: Settings,
               channel_id: int | None = None) -> list[TestResult]:
    """A test through one channel (which the caller may change) or through every enabled channel
    they may change (an admin: all; a member: their own)."""
    p = ctx.principal
    if channel_id is not None:
        targets = [channels.get(session, p, channel_id, policy.CHANGE).id]
    else:
        targets = [c.id for c in channels.visible(session, p) if c.enabled and policy.may(p, policy.CHANGE, c)]
    results = []
    for cid in targets:
        error = notify.send_test(session, box, settings, cid, utcnow())
        results.append(TestResult(session.get(AlertChannel, cid), error))
    audit.record(session, ctx, "alerts.test", detail={"channels": targets, "failed": sum(r.error is not None
                                                                                         for r in results)})
    session.commit()
    return results


def deliveries(session: Session, viewer: Principal, *, channel_id: int | None = None, status: str | None = None,
               limit: int = 50) -> list[AlertDelivery]:
    stmt = select(AlertDelivery)
    if channel_id is not None:
        channels.get(session, viewer, channel_id)
        stmt = stmt.where(AlertDelivery.channel_id == channel_id)
    if status is not None:
        stmt = stmt.where(AlertDelivery.status == status)
    return list(session.scalars(ownership.deliveries(stmt, viewer).order_by(AlertDelivery.id.desc()).limit(limit)))
