"""The audit log: who did what, to what, with what result."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from cloudfold.db.base import NEVER_REUSE_IDS, Base, UTCDateTime, utcnow


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_time", "time"),
        Index("ix_audit_events_actor_user_id_time", "actor_user_id", "time"),
        Index("ix_audit_events_result", "result"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    time: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_user_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    actor: Mapped[str] = mapped_column(String(400))  # email, "key:<prefix>" or "anonymous"
    actor_ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    action: Mapped[str] = mapped_column(String(120))
    target: Mapped[str | None] = mapped_column(String(400), nullable=True)
    result: Mapped[str] = mapped_column(String(16))  # success | failed | blocked
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    request_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # Sampled rows (anonymous refusals): one per source, action and minute, named by
    # sample_key (a digest of the three) and counting the refusals it stands for.
    sample_key: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)
    count: Mapped[int | None] = mapped_column(Integer, nullable=True)
