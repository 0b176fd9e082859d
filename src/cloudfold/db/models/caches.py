"""Seed 003's caches: what a cache keeps beside its local-cloud record (`cloud_objects`, kind
`cache`, whose spec holds memory, persistence and the published port): its Redis password,
sealed with the credentials' secret box (`security/secretbox.py`). The control plane needs it
to read the cache's live figures (INFO) and to rotate it; it is answered only once, at create
and at rotation, and never logged or audited."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cloudfold.db.base import Base, UTCDateTime, utcnow


class CacheSecret(Base):
    __tablename__ = "cache_secrets"

    cache_id: Mapped[str] = mapped_column(String(36), ForeignKey("cloud_objects.id", ondelete="CASCADE"),
                                          primary_key=True)
    password_sealed: Mapped[str] = mapped_column(Text)  # Fernet token of {"password": ...}
    set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
