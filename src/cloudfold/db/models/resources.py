"""The one inventory: a record per cloud object, and the history of actions on them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cloudfold.db.base import NEVER_REUSE_IDS, Base, UTCDateTime, utcnow
from cloudfold.db.models.accounts import Account


class Resource(Base):
    __tablename__ = "resources"
    __table_args__ = (
        UniqueConstraint("account_id", "kind", "external_id"),
        Index("ix_resources_kind_id", "kind", "id"),
        Index("ix_resources_kind_provider_status", "kind", "provider", "status"),
        Index("ix_resources_kind_vanished_provider_status", "kind", "vanished", "provider", "status"),
        Index("ix_resources_updated_at", "updated_at"),
        Index("ix_resources_kind_region", "kind", "region"),
        Index("ix_resources_account_seen", "account_id", "sync_generation"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), nullable=True)
    provider: Mapped[str] = mapped_column(String(32))  # denormalised provider type, for filters
    kind: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(300))
    name: Mapped[str] = mapped_column(String(300))
    region: Mapped[str | None] = mapped_column(String(64), nullable=True)
    status: Mapped[str] = mapped_column(String(32), default="unknown")
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSON, default=dict)
    # the engine's last usage sample and disk sizes (domain/usage): apart from `meta`, which a
    # sync, an action or a refresh replaces with what the provider reports
    usage: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    tags: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    cost_per_hour: Mapped[float | None] = mapped_column(Float, nullable=True)
    manual: Mapped[bool] = mapped_column(Boolean, default=False)  # tracked by hand, not synced
    owner_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # for manual records
    vanished: Mapped[bool] = mapped_column(Boolean, default=False)  # gone from the provider
    sync_generation: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    last_synced: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    account: Mapped[Account | None] = relationship(lazy="joined")


class ResourceAction(Base):
    __tablename__ = "resource_actions"
    __table_args__ = (NEVER_REUSE_IDS,)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    result: Mapped[str] = mapped_column(String(16))  # success | failed | blocked
    status_before: Mapped[str | None] = mapped_column(String(32), nullable=True)
    status_after: Mapped[str | None] = mapped_column(String(32), nullable=True)
    message: Mapped[str | None] = mapped_column(Text, nullable=True)
    actor: Mapped[str] = mapped_column(String(400))
    via: Mapped[str | None] = mapped_column(String(120), nullable=True)  # which face asked
    request_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    time: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SettingValue(Base):
    """Runtime settings changed through /api/settings (defaults live in code)."""

    __tablename__ = "setting_values"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
