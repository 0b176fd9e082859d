"""Seed 003's local-cloud objects (VPC, subnet, volume, instance): the fields that document
shows, next to the inventory record that the sync and the action path keep up to date.

A sync rewrites a Resource's name, status and metadata from the engine; what the user asked
for (CIDR, availability zone, size, ports, mounts, env, …) lives here, so it is never lost."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cloudfold.db.base import Base, UTCDateTime, new_uuid, utcnow
from cloudfold.db.models.resources import Resource


class CloudObject(Base):
    __tablename__ = "cloud_objects"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"), unique=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)  # vpc | subnet | volume | instance
    name: Mapped[str] = mapped_column(String(100))
    owner_id: Mapped[int] = mapped_column(Integer, index=True)
    vpc_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    subnet_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # while its engine object is being made: the process making it (None once made or given up)
    worker_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    # the Idempotency-Key request that made it (domain/replay.py): a retry answers this object
    request_digest: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)

    resource: Mapped[Resource] = relationship(lazy="joined")
