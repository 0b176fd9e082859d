"""The scheduled alerting work (`alerts.evaluate`, every `alert_eval_seconds`): evaluate the
due rules, queue their groups' notifications, and deliver what is due. Everything comes from
the database, so the job runs unchanged in any process or worker."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from cloudfold.db.base import utcnow
from cloudfold.db.models import AlertRule
from cloudfold.domain.alerts import evaluate, notify
from cloudfold.jobs.registry import JobContext, job
from cloudfold.security.secretbox import SecretBox
from cloudfold.settings import Settings

log = logging.getLogger("cloudfold.alerts")


def tick(sessions: sessionmaker[Session], settings: Settings, box: SecretBox, publish, now: datetime | None = None
         ) -> dict[str, Any]:
    """One round; ``publish`` takes each alert event. ``now`` lets a caller step time."""
    now = now or utcnow()
    with sessions() as session:
        claimed = evaluate.claim_due(session, now, settings.alert_eval_seconds)
    opened = resolved = queued = 0
    for rule_id in claimed:
        with sessions() as session:
            rule = session.get(AlertRule, rule_id)
            if rule is None:
                continue
            try:
                events = evaluate.evaluate(session, rule, now)
            except Exception:  # one broken source never stops the others (or loops: next period)
                session.rollback()
                log.exception("evaluating alert rule %s failed", rule_id)
                continue
            for event in events:
                opened += event["type"] == "alert.opened"
                resolved += event["type"] == "alert.resolved"
                publish(event)
            queued += notify.group(session, session.get(AlertRule, rule_id), now, settings)
    delivered = notify.deliver_due(sessions, box, settings, now)
    return {"rules": len(claimed), "opened": opened, "resolved": resolved, "queued": queued, **delivered}


@job("alerts.evaluate")
def evaluate_job(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    services = ctx.services
    return tick(ctx.sessions, ctx.settings, services.secretbox, services.events.publish)
