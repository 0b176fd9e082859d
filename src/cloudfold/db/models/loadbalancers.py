"""Load balancers, their targets and the gateway's routes (issue 13, seed 003).

A load balancer is an HTTP listener on `lb_bind`:`port` of the one HAProxy (cloudfold.proxy);
its targets are its owner's instances (cloud_objects of kind instance) and a port of each; a
route maps a path prefix of the gateway listener to an instance, a load balancer or an
allow-listed URL. A target goes with its instance (ON DELETE CASCADE, and the reconciler drops
targets whose instance was terminated)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cloudfold.db.base import Base, UTCDateTime, new_uuid, utcnow


class LoadBalancer(Base):
    __tablename__ = "load_balancers"
    __table_args__ = (UniqueConstraint("owner_id", "name", name="uq_load_balancers_owner_name"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(63))
    port: Mapped[int] = mapped_column(Integer, unique=True)
    algorithm: Mapped[str] = mapped_column(String(16), default="round_robin")
    health_check: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    vpc_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    targets: Mapped[list[LbTarget]] = relationship(back_populates="lb", cascade="all, delete-orphan",
                                                   order_by="LbTarget.created_at", lazy="selectin")


class LbTarget(Base):
    __tablename__ = "lb_targets"

    lb_id: Mapped[str] = mapped_column(ForeignKey("load_balancers.id", ondelete="CASCADE"), primary_key=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("cloud_objects.id", ondelete="CASCADE"), primary_key=True,
                                             index=True)
    port: Mapped[int] = mapped_column(Integer)  # the instance's (container) port
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # as the proxy's health checks last saw it (domain/loadbalancers/health.record), and since when
    state: Mapped[str] = mapped_column(String(12), default="unknown", server_default="unknown")
    state_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    lb: Mapped[LoadBalancer] = relationship(back_populates="targets")


class GatewayRoute(Base):
    __tablename__ = "gateway_routes"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(63))
    prefix: Mapped[str] = mapped_column(String(255), unique=True)  # one gateway: a prefix names one route
    target: Mapped[str] = mapped_column(String(2048))  # as given
    target_kind: Mapped[str] = mapped_column(String(16))  # instance | load_balancer | url
    target_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    target_port: Mapped[int | None] = mapped_column(Integer, nullable=True)  # instance port, or the URL's port
    target_host: Mapped[str | None] = mapped_column(String(255), nullable=True)  # a URL target's approved address
    strip_prefix: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
