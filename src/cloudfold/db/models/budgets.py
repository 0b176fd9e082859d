"""Budgets (issue 11): rules that keep spending inside an amount, what enforcement decided,
the machines it marked to stop after a grace period, and lockdowns (with what they stopped,
so they can be undone). Amounts are integer millionths of `currency`, as in `cost_records`."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cloudfold.db.base import NEVER_REUSE_IDS, Base, UTCDateTime, utcnow


class BudgetRule(Base):
    """An amount per period over a scope: everything the owner sees (`scope` all), one provider
    type, one account, or machines carrying a tag/label (`tag_key`, optional `tag_value`).
    `thresholds`: [{"percent": 80, "action": "alert" | "stop" | "lockdown"}, …]."""

    __tablename__ = "budget_rules"
    __table_args__ = (Index("ix_budget_rules_due", "enabled", "next_enforce_at"), NEVER_REUSE_IDS)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    scope: Mapped[str] = mapped_column(String(16), default="all")  # all | provider | account | tag
    provider: Mapped[str | None] = mapped_column(String(32), nullable=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), nullable=True)
    tag_key: Mapped[str | None] = mapped_column(String(128), nullable=True)
    tag_value: Mapped[str | None] = mapped_column(String(256), nullable=True)
    period: Mapped[str] = mapped_column(String(16), default="monthly")  # monthly | daily
    start_day: Mapped[int] = mapped_column(Integer, default=1)  # monthly: the day of the month a period starts
    amount_micros: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    thresholds: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    dry_run: Mapped[bool] = mapped_column(Boolean, default=True)
    grace_seconds: Mapped[int] = mapped_column(Integer, default=3600)
    max_stops: Mapped[int] = mapped_column(Integer, default=10)  # machines stopped per run, at most
    protect_label: Mapped[str] = mapped_column(String(128), default="cloudfold.protect")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    next_enforce_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_enforced_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # one enforcement of a rule at a time, in any process: a run holds this lease (a dead run's ends)
    enforcing_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class BudgetDecision(Base):
    """One decision of enforcement: what (`decision`), on what (`resource_id`, none for a
    notice), why (`reason`), under which rule and threshold, in which run and period."""

    __tablename__ = "budget_decisions"
    __table_args__ = (Index("ix_budget_decisions_rule_period", "rule_id", "period_start", "threshold"),
                      NEVER_REUSE_IDS)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("budget_rules.id", ondelete="SET NULL"), nullable=True)
    owner_id: Mapped[int] = mapped_column(Integer, index=True)  # the rule's owner (kept if the rule goes)
    run_id: Mapped[str] = mapped_column(String(36), index=True)
    period_start: Mapped[date] = mapped_column(Date)
    threshold: Mapped[int | None] = mapped_column(Integer, nullable=True)  # percent
    action: Mapped[str | None] = mapped_column(String(16), nullable=True)  # the threshold's action
    decision: Mapped[str] = mapped_column(String(24))  # notified | would_notify | would_stop | marked | stopped | skipped | cleared | failed
    resource_id: Mapped[int | None] = mapped_column(ForeignKey("resources.id", ondelete="SET NULL"), nullable=True)
    resource_name: Mapped[str | None] = mapped_column(String(300), nullable=True)
    reason: Mapped[str] = mapped_column(String(500))
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    stop_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    spent_micros: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BudgetMark(Base):
    """A machine marked to be stopped at `stop_at` (the grace period), unless the budget is no
    longer crossed then. One per rule and machine while pending."""

    __tablename__ = "budget_marks"
    __table_args__ = (UniqueConstraint("rule_id", "resource_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("budget_rules.id", ondelete="CASCADE"))
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"), index=True)
    threshold: Mapped[int] = mapped_column(Integer)
    period_start: Mapped[date] = mapped_column(Date)
    stop_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Lockdown(Base):
    """An emergency stop of every unprotected running machine in a scope (`resource_ids`: what
    it stopped, which its restore starts again)."""

    __tablename__ = "lockdowns"
    __table_args__ = (NEVER_REUSE_IDS,)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    owner_id: Mapped[int] = mapped_column(Integer, index=True)
    scope: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    protect_label: Mapped[str] = mapped_column(String(128))
    reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    status: Mapped[str] = mapped_column(String(16))  # running | done | interrupted | restoring | restored
    # the process running it or its restore (domain/workers.py): a dead one's is settled (budgets/recovery.py)
    worker_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    resource_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    results: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    restored_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
