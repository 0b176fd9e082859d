"""Alerting (issue 10, package C): rules over monitors, metrics and the inventory, the alerts
they open (one per rule + target at a time), the hysteresis counters behind them, the
channels notifications go through and the log of every delivery. Rules live in
`domain/alerts/`; these rows only hold state, so evaluation runs in any process."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from cloudfold.db.base import NEVER_REUSE_IDS, Base, UTCDateTime, utcnow


class AlertRule(Base):
    __tablename__ = "alert_rules"
    __table_args__ = (Index("ix_alert_rules_due", "enabled", "next_eval_at"), NEVER_REUSE_IDS)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # threshold, minutes, days, …
    # what the rule watches: one object, or (all None) everything its owner may see. No foreign
    # keys: when the object goes, the rule stays and its alert resolves ("the target is gone",
    # told to the channels) instead of vanishing with it; ids are never reused (NEVER_REUSE_IDS)
    resource_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    monitor_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # monitors.id (package A's table)
    account_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    severity: Mapped[str] = mapped_column(String(16), default="warning")
    open_after: Mapped[int] = mapped_column(Integer, default=3)  # failed evaluations before an alert opens
    resolve_after: Mapped[int] = mapped_column(Integer, default=2)  # good evaluations before it resolves
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    next_eval_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)  # claimed by the evaluator
    group_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class AlertState(Base):
    """Hysteresis counters of one rule + target, and the alert open for it (if any)."""

    __tablename__ = "alert_states"
    __table_args__ = (UniqueConstraint("rule_id", "target_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("alert_rules.id", ondelete="CASCADE"))
    target_key: Mapped[str] = mapped_column(String(200))
    fails: Mapped[int] = mapped_column(Integer, default=0)
    oks: Mapped[int] = mapped_column(Integer, default=0)
    memo: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # what a source keeps between runs
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id", ondelete="SET NULL"), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Alert(Base):
    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_status_owner", "status", "owner_id"), Index("ix_alerts_rule_status", "rule_id", "status"),
                      NEVER_REUSE_IDS)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("alert_rules.id", ondelete="CASCADE"))
    owner_id: Mapped[int] = mapped_column(Integer)  # the rule's owner
    target_key: Mapped[str] = mapped_column(String(200))
    target_name: Mapped[str] = mapped_column(String(300))
    resource_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    monitor_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    account_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="firing")  # firing | resolved
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    detail: Mapped[str] = mapped_column(String(500), default="")
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    acknowledged_by: Mapped[str | None] = mapped_column(String(400), nullable=True)
    silenced_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    notified_status: Mapped[str | None] = mapped_column(String(16), nullable=True)  # what was last told
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class AlertChannel(Base):
    __tablename__ = "alert_channels"
    __table_args__ = (NEVER_REUSE_IDS,)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    owner_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # None: an admin's, for every alert
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(16))  # email | webhook | apprise
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # what may be shown (recipients)
    secret_sealed: Mapped[str | None] = mapped_column(Text, nullable=True)  # URLs, headers: never shown
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    last_delivery_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_delivery_ok: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(300), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class AlertDelivery(Base):
    """One message to one channel: retried with backoff until sent or out of attempts."""

    __tablename__ = "alert_deliveries"
    __table_args__ = (Index("ix_alert_deliveries_due", "status", "next_attempt_at"), NEVER_REUSE_IDS)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("alert_channels.id", ondelete="CASCADE"), index=True)
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("alert_rules.id", ondelete="SET NULL"), nullable=True)
    kind: Mapped[str] = mapped_column(String(16))  # notify | test
    subject: Mapped[str] = mapped_column(String(300))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # the webhook body; text from it
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(String(300), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
