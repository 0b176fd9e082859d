"""Evaluating rules: claim the due ones, observe their signals, count each target's failing and
good evaluations (hysteresis), open one alert per rule + target when failures reach the rule's
`open_after`, resolve it after `resolve_after` good ones (or when the target is gone).

Everything is taken from and kept in the database: a rule is claimed with one conditional
UPDATE of its `next_eval_at`, so several processes share the work and never evaluate a rule
twice in one period."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cloudfold.db.models import Alert, AlertRule, AlertState
from cloudfold.domain import audit, policy
from cloudfold.domain.alerts import signals
from cloudfold.domain.context import SYSTEM

log = logging.getLogger("cloudfold.alerts")


def claim_due(session: Session, now: datetime, period: float) -> list[int]:
    """Take the rules due now (each one by one process only); they are next due a period on."""
    due = session.execute(select(AlertRule.id, AlertRule.next_eval_at)
                          .where(AlertRule.enabled.is_(True), AlertRule.next_eval_at <= now)
                          .order_by(AlertRule.next_eval_at).limit(500)).all()
    claimed = []
    for rule_id, at in due:
        taken = session.execute(update(AlertRule).where(AlertRule.id == rule_id, AlertRule.next_eval_at == at)
                                .values(next_eval_at=now + timedelta(seconds=period))
                                .execution_options(synchronize_session=False)).rowcount
        if taken:
            claimed.append(rule_id)
    session.commit()
    return claimed


def alert_event(kind: str, alert: Alert, rule: AlertRule) -> dict[str, Any]:
    """`alert.opened` / `alert.resolved`, told to whoever may see the alert (its rule's owner, admins)."""
    return {**policy.event_facts(alert), "type": kind, "alert_id": alert.id, "rule_id": rule.id,
            "rule": rule.name, "kind": rule.kind, "severity": rule.severity, "status": alert.status,
            "target": alert.target_name, "resource_id": alert.resource_id, "monitor_id": alert.monitor_id,
            "account_id": alert.account_id, "value": alert.value, "detail": alert.detail}


def _open(session: Session, rule: AlertRule, state: AlertState, obs: signals.Observation, now: datetime) -> Alert:
    alert = Alert(rule_id=rule.id, owner_id=rule.owner_id, target_key=obs.target_key, target_name=obs.name[:300],
                  resource_id=obs.resource_id, monitor_id=obs.monitor_id, account_id=obs.account_id,
                  status="firing", value=obs.value, detail=obs.detail[:500], opened_at=now, last_seen_at=now)
    session.add(alert)
    session.flush()
    state.alert_id = alert.id
    audit.record(session, SYSTEM, "alert.opened", target=f"alert:{alert.id}", actor="alerts",
                 detail={"rule_id": rule.id, "target": alert.target_key, "detail": alert.detail})
    return alert


def _resolve(session: Session, rule: AlertRule, alert: Alert, now: datetime, why: str | None = None) -> Alert:
    alert.status, alert.resolved_at = "resolved", now
    if why:
        alert.detail = why
    audit.record(session, SYSTEM, "alert.resolved", target=f"alert:{alert.id}", actor="alerts",
                 detail={"rule_id": rule.id, "target": alert.target_key})
    return alert


def evaluate(session: Session, rule: AlertRule, now: datetime) -> list[dict[str, Any]]:
    """One evaluation of one rule (committed); the events to publish."""
    states = {s.target_key: s for s in session.scalars(select(AlertState).where(AlertState.rule_id == rule.id))}
    observed = signals.observe(session, rule, now, {k: dict(s.memo or {}) for k, s in states.items()})
    if observed is None:
        return []
    events = []
    seen = set()
    for obs in observed:
        seen.add(obs.target_key)
        state = states.get(obs.target_key)
        if state is None:
            state = states[obs.target_key] = AlertState(rule_id=rule.id, target_key=obs.target_key, fails=0, oks=0,
                                                        memo={})
            session.add(state)
        if obs.memo is not None:
            state.memo = obs.memo
        if obs.ok is None:
            continue
        state.fails, state.oks = (0, state.oks + 1) if obs.ok else (state.fails + 1, 0)
        alert = session.get(Alert, state.alert_id) if state.alert_id else None
        if alert is None and state.fails >= rule.open_after:
            events.append(alert_event("alert.opened", _open(session, rule, state, obs, now), rule))
        elif alert is not None:
            alert.last_seen_at = now
            if not obs.ok:
                alert.value, alert.detail = obs.value, obs.detail[:500]
            elif state.oks >= rule.resolve_after:
                state.alert_id = None
                events.append(alert_event("alert.resolved", _resolve(session, rule, alert, now), rule))
    for key, state in states.items():
        if key in seen:
            continue
        if state.alert_id:  # the target is gone (deleted, vanished, no longer visible): nothing left to fail
            alert = session.get(Alert, state.alert_id)
            if alert is not None and alert.status == "firing":
                events.append(alert_event("alert.resolved", _resolve(session, rule, alert, now, "the target is gone"),
                                          rule))
        session.delete(state)
    session.commit()
    return events


def end_all(session: Session, rule: AlertRule, now: datetime, why: str) -> list[dict[str, Any]]:
    """Resolve every firing alert of a rule that stops being evaluated (disabled); its counters
    start again from nothing. Not committed; the events to publish after the commit."""
    events = []
    for state in session.scalars(select(AlertState).where(AlertState.rule_id == rule.id)):
        alert = session.get(Alert, state.alert_id) if state.alert_id else None
        if alert is not None and alert.status == "firing":
            events.append(alert_event("alert.resolved", _resolve(session, rule, alert, now, why), rule))
        session.delete(state)
    return events
