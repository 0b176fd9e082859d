"""One row per account whose spending is synced (issue 11): the spending sync's own lock,
follow-up request, outcome and backoff, apart from the inventory sync's (columns of
`accounts`), so the two never wait for each other. `stale`: the last sync failed and the
records shown are the last ones it got."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cloudfold.db.base import Base, UTCDateTime


class CostSync(Base):
    __tablename__ = "cost_syncs"

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    running_since: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # the lock and heartbeat
    task_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    requested: Mapped[bool] = mapped_column(Boolean, default=False)  # asked for again while running
    last_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_status: Mapped[str | None] = mapped_column(String(16), nullable=True)  # succeeded | failed
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    next_after: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # backoff
    stale: Mapped[bool] = mapped_column(Boolean, default=False)
