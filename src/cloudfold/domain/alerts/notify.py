"""Notifications: grouping (one group per rule, as Alertmanager groups by labels), the delivery
rows they make per channel, and delivering those with retries and exponential backoff.

A group's first notification waits `alert_group_wait_seconds` after its first new alert (so
alerts opening together go out together); later changes (new alerts, resolutions) wait
`alert_group_interval_seconds` after the last notification; a group still firing is told again
after `alert_repeat_interval_seconds`. Silenced alerts are left out; acknowledged ones are not
repeated. A resolution is told only for an alert whose firing was told."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from cloudfold.db.models import Alert, AlertChannel, AlertDelivery, AlertRule
from cloudfold.domain import egress
from cloudfold.domain.alerts import channels as channel_store
from cloudfold.domain.alerts.senders import Message, SendFailed, send
from cloudfold.security.secretbox import SecretBox
from cloudfold.settings import Settings

log = logging.getLogger("cloudfold.alerts")
MAX_BACKOFF = 3600.0


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def _silenced(alert: Alert, now: datetime) -> bool:
    return alert.silenced_until is not None and alert.silenced_until > now


def message(rule: AlertRule, alerts: list[Alert], now: datetime) -> Message:
    firing = [a for a in alerts if a.status == "firing"]
    status = "firing" if firing else "resolved"
    head = f"[FIRING:{len(firing)}]" if firing else "[RESOLVED]"
    subject = f"{head} {rule.name} ({rule.severity})"
    lines = [f"{a.status.upper()}: {a.target_name}: {a.detail}"
             + (f" (since {_iso(a.opened_at)})" if a.status == "firing" else f" (resolved {_iso(a.resolved_at)})")
             for a in alerts]
    text = "\n".join([subject, "", *lines])
    payload = {"version": "1", "status": status, "time": _iso(now),
               "rule": {"id": rule.id, "name": rule.name, "kind": rule.kind, "severity": rule.severity},
               "alerts": [{"id": a.id, "status": a.status, "target": a.target_name, "target_key": a.target_key,
                           "resource_id": a.resource_id, "monitor_id": a.monitor_id, "account_id": a.account_id,
                           "value": a.value, "detail": a.detail, "opened_at": _iso(a.opened_at),
                           "resolved_at": _iso(a.resolved_at), "acknowledged": a.acknowledged_at is not None}
                          for a in alerts],
               "text": text}
    return Message(subject, text, payload)


def _due(rule: AlertRule, changed: list[Alert], repeatable: list[Alert], now: datetime,
         settings: Settings) -> bool:
    if changed:
        if rule.group_notified_at is None:
            first = min(a.opened_at for a in changed)
            return now >= first + timedelta(seconds=settings.alert_group_wait_seconds)
        return now >= rule.group_notified_at + timedelta(seconds=settings.alert_group_interval_seconds)
    return bool(repeatable) and rule.group_notified_at is not None and (
        now >= rule.group_notified_at + timedelta(seconds=settings.alert_repeat_interval_seconds))


def group(session: Session, rule: AlertRule, now: datetime, settings: Settings) -> int:
    """Queue the rule's group notification when it is due (committed); how many deliveries."""
    alerts = list(session.scalars(select(Alert).where(
        Alert.rule_id == rule.id,
        or_(Alert.status == "firing", Alert.notified_status == "firing")).order_by(Alert.id)))
    for a in alerts:  # resolved before anyone was told it fired: nothing to tell
        if a.status == "resolved" and a.notified_status != "firing":
            a.notified_status = "resolved"
    told = [a for a in alerts if not (a.status == "firing" and _silenced(a, now))
            and not (a.status == "resolved" and a.notified_status != "firing")]
    changed = [a for a in told if a.notified_status != a.status]
    repeatable = [a for a in told if a.status == "firing" and a.acknowledged_at is None]
    made = 0
    if told and _due(rule, changed, repeatable, now, settings):
        msg = message(rule, told, now)
        for channel in session.scalars(select(AlertChannel).where(
                AlertChannel.enabled.is_(True),
                or_(AlertChannel.owner_id.is_(None), AlertChannel.owner_id == rule.owner_id))):
            session.add(AlertDelivery(channel_id=channel.id, rule_id=rule.id, kind="notify", subject=msg.subject[:300],
                                      payload=msg.payload, status="pending", attempts=0, next_attempt_at=now))
            made += 1
        for a in told:
            a.notified_status, a.notified_at = a.status, now
        still = any(a.status == "firing" for a in told)
        rule.group_notified_at = now if still else None
    elif not told and not alerts:
        rule.group_notified_at = None
    session.commit()
    return made


# -- deliveries ---------------------------------------------------------------------------------------


def _claim(session: Session, now: datetime, lease: float, limit: int = 1, after: int = 0) -> list[int]:
    """Take up to ``limit`` due deliveries with ids above ``after`` (each by one process only)
    for ``lease`` seconds."""
    due = session.execute(select(AlertDelivery.id, AlertDelivery.next_attempt_at)
                          .where(AlertDelivery.status == "pending", AlertDelivery.next_attempt_at <= now,
                                 AlertDelivery.id > after)
                          .order_by(AlertDelivery.id).limit(limit)).all()
    claimed = []
    for delivery_id, at in due:
        if session.execute(update(AlertDelivery)
                           .where(AlertDelivery.id == delivery_id, AlertDelivery.next_attempt_at == at)
                           .values(next_attempt_at=now + timedelta(seconds=lease))
                           .execution_options(synchronize_session=False)).rowcount:
            claimed.append(delivery_id)
    session.commit()
    return claimed


def send_to(session: Session, box: SecretBox, settings: Settings, channel: AlertChannel, msg: Message) -> str | None:
    """Send now; None when it worked, else why not (kept on the channel as its last delivery)."""
    trusted = egress.owner_trusted(session, channel.owner_id)
    kind, config, secrets = channel.type, dict(channel.config or {}), channel_store.secrets_of(box, channel)
    session.commit()  # no transaction held while the far end answers
    try:
        send(kind, config, secrets, trusted=trusted, settings=settings, msg=msg)
        error = None
    except SendFailed as exc:
        error = str(exc)[:300]
    return error


def record_outcome(channel: AlertChannel, error: str | None, now: datetime) -> None:
    channel.last_delivery_at, channel.last_delivery_ok, channel.last_error = now, error is None, error


def attempt(session: Session, box: SecretBox, settings: Settings, delivery_id: int, now: datetime) -> bool:
    """One attempt at one claimed delivery (committed); True when sent."""
    delivery = session.get(AlertDelivery, delivery_id)
    channel = session.get(AlertChannel, delivery.channel_id) if delivery is not None else None
    if delivery is None or channel is None:
        return False
    msg = Message(delivery.subject, delivery.payload.get("text", delivery.subject), delivery.payload)
    error = send_to(session, box, settings, channel, msg)
    delivery = session.get(AlertDelivery, delivery_id)
    channel = session.get(AlertChannel, delivery.channel_id)
    delivery.attempts += 1
    delivery.last_error = error
    if error is None:
        delivery.status, delivery.sent_at = "sent", now
    elif delivery.attempts >= settings.alert_delivery_attempts:
        delivery.status = "failed"
        log.warning("alert delivery %s to channel %s failed %d times; given up", delivery.id, channel.id,
                    delivery.attempts)
    else:
        backoff = min(MAX_BACKOFF, settings.alert_delivery_backoff_seconds * 2 ** (delivery.attempts - 1))
        delivery.next_attempt_at = now + timedelta(seconds=backoff)
    record_outcome(channel, error, now)
    session.commit()
    return error is None


def deliver_due(sessions: sessionmaker[Session], box: SecretBox, settings: Settings, now: datetime,
                most: int = 100) -> dict[str, int]:
    """Send up to ``most`` due deliveries, each claimed just before its send (its lease covers
    that one send: a process that dies mid-send frees it when the lease ends). In id order, so
    a failed one is retried at a later round, never again in this one."""
    lease = settings.alert_delivery_timeout_seconds * 3 + 30
    attempted = sent = last = 0
    while attempted < most:
        with sessions() as session:
            claimed = _claim(session, now, lease, after=last)
            if not claimed:
                break
            attempted, last = attempted + 1, claimed[0]
            sent += attempt(session, box, settings, last, now)
    return {"attempted": attempted, "sent": sent}


def test_message(now: datetime) -> Message:
    text = "This is a test notification from cloudfold: this channel works."
    return Message("[TEST] cloudfold alert channel test", text,
                   {"version": "1", "status": "test", "time": _iso(now), "alerts": [], "text": text})


def send_test(session: Session, box: SecretBox, settings: Settings, channel_id: int, now: datetime) -> str | None:
    """Send a test through one channel at once (no retry), logged as a `test` delivery."""
    channel = session.get(AlertChannel, channel_id)
    msg = test_message(now)
    error = send_to(session, box, settings, channel, msg)
    channel = session.get(AlertChannel, channel_id)
    session.add(AlertDelivery(channel_id=channel.id, kind="test", subject=msg.subject, payload=msg.payload,
                              status="sent" if error is None else "failed", attempts=1, next_attempt_at=now,
                              last_error=error, sent_at=now if error is None else None))
    record_outcome(channel, error, now)
    session.commit()
    return error
