"""Processes running cloudfold (API servers, workers): one row each, with a heartbeat, so that
work a dead process owned (tasks, sync locks, idempotency records, half-made objects) is
taken over at once by the processes that remain (domain/workers.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from cloudfold.db.base import Base, UTCDateTime, UuidStr, utcnow


class Worker(Base):
    __tablename__ = "workers"

    id: Mapped[str] = mapped_column(UuidStr, primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
