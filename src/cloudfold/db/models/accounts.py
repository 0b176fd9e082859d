"""Cloud accounts: a registered cloud with encrypted credentials and driver config."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cloudfold.db.base import NEVER_REUSE_IDS, Base, UTCDateTime, utcnow


class Account(Base):
    __tablename__ = "accounts"
    __table_args__ = (NEVER_REUSE_IDS,)

    # seed 002 (/credentials) shows integer ids, seed 001 (/api/providers) string ids it chooses
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    provider_type: Mapped[str] = mapped_column(String(32), index=True)
    display_name: Mapped[str] = mapped_column(String(200))
    region: Mapped[str | None] = mapped_column(String(64), nullable=True)
    credentials_path: Mapped[str | None] = mapped_column(String(500), nullable=True)
    credentials_sealed: Mapped[str | None] = mapped_column(Text, nullable=True)  # Fernet token
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    owner_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    # health, as last measured
    health_status: Mapped[str] = mapped_column(String(16), default="unknown")
    health_latency_ms: Mapped[float | None] = mapped_column(Float, nullable=True)
    health_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    health_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    # sync: one at a time per account; requests meanwhile are merged into the next run
    sync_running_since: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    sync_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    sync_task_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    last_sync_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_sync_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    last_sync_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    sync_failures: Mapped[int] = mapped_column(Integer, default=0)
    next_sync_after: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
