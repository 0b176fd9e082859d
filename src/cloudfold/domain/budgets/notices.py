"""Budget notices through the monitoring issue's alert channels (`domain/alerts`): one
delivery per enabled channel the rule's owner is told through (shared channels and their
own), sent with retries by the alerting job's delivery round."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from cloudfold.db.models import AlertChannel, AlertDelivery, BudgetRule

KIND = "budget"


def tell(session: Session, rule: BudgetRule, subject: str, lines: list[str], facts: dict[str, Any],
         now: datetime) -> int:
    """Queue one notice (not committed); how many channels it goes to."""
    text = "\n".join([subject, "", *lines])
    payload = {"version": "1", "status": KIND, "time": now.isoformat().replace("+00:00", "Z"),
               "budget": {"id": rule.id, "name": rule.name}, **facts, "alerts": [], "text": text}
    made = 0
    for channel in session.scalars(select(AlertChannel).where(
            AlertChannel.enabled.is_(True),
            or_(AlertChannel.owner_id.is_(None), AlertChannel.owner_id == rule.owner_id))):
        session.add(AlertDelivery(channel_id=channel.id, rule_id=None, kind=KIND, subject=subject[:300],
                                  payload=payload, status="pending", attempts=0, next_attempt_at=now))
        made += 1
    return made
