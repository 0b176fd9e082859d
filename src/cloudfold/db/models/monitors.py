"""Monitors (issue 10): a probe of one target on an interval, and its check history.

`monitors` holds what to probe and the latest verdict; `monitor_checks` one row per check
(uptime over 24 h / 7 d / 30 d is counted from it). Auto monitors (ping + SSH of an inventory
machine) carry `resource_id` and go with their machine (ON DELETE CASCADE); their `owner_id` is
the machine's owner (NULL for a shared account's machine, like the machine itself)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cloudfold.db.base import NEVER_REUSE_IDS, Base, UTCDateTime, utcnow

KINDS = ("http", "tcp", "ping", "ssh", "dns")
STATES = ("pending", "up", "down")


class Monitor(Base):
    __tablename__ = "monitors"
    __table_args__ = (Index("ix_monitors_next_due_at", "enabled", "next_due_at"), NEVER_REUSE_IDS)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    resource_id: Mapped[int | None] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(200))
    target: Mapped[str] = mapped_column(String(2048))
    config: Mapped[dict] = mapped_column(JSON, default=dict)
    interval_seconds: Mapped[int] = mapped_column(Integer, default=60)
    timeout_seconds: Mapped[float] = mapped_column(Float, default=10.0)
    retries: Mapped[int] = mapped_column(Integer, default=1)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    state: Mapped[str] = mapped_column(String(8), default="pending")
    failures: Mapped[int] = mapped_column(Integer, default=0)  # consecutive failed checks
    last_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_latency_ms: Mapped[float | None] = mapped_column(Float)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(300))
    cert_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_due_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the due time of the check in flight
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    resource = relationship("Resource", lazy="joined")

    @property
    def auto(self) -> bool:
        return self.resource_id is not None


class MonitorCheck(Base):
    __tablename__ = "monitor_checks"
    __table_args__ = (Index("ix_monitor_checks_monitor_time", "monitor_id", "time"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    monitor_id: Mapped[int] = mapped_column(ForeignKey("monitors.id", ondelete="CASCADE"))
    time: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ok: Mapped[bool] = mapped_column(Boolean)
    latency_ms: Mapped[float | None] = mapped_column(Float)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(300))
