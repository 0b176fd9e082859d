"""Autoscaling groups (issue 13): a launch template kept at a desired number of instances
between min and max, and the group's activity history (what it did, why, and how it ended).
The group's instances are ordinary local-cloud instances (`cloud_objects`) whose spec names
the group (`group_id`) and whose container carries the label `cloudfold.group`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cloudfold.db.base import NEVER_REUSE_IDS, Base, UTCDateTime, new_uuid, utcnow


class AutoscalingGroup(Base):
    """`template`: the instance fields of seed 003 (image, ports, env, command, cpu, memory,
    vpc_id, subnet_id, service). `policy`: null, {"type": "target_cpu", "target_percent",
    "cooldown_s"} or {"type": "schedule", "entries": [{"cron", "desired"}]}."""

    __tablename__ = "autoscaling_groups"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(48))
    template: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    min_size: Mapped[int] = mapped_column(Integer)
    max_size: Mapped[int] = mapped_column(Integer)
    desired_capacity: Mapped[int] = mapped_column(Integer)
    load_balancer_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    target_port: Mapped[int | None] = mapped_column(Integer, nullable=True)
    policy: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    health_check_grace_s: Mapped[int] = mapped_column(Integer, default=60)
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | deleting
    keep_instances: Mapped[bool] = mapped_column(default=False)  # a delete asked to keep them
    next_number: Mapped[int] = mapped_column(Integer, default=1)  # the n of the next `<name>-<n>`
    last_scaled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # the policy's cooldown
    schedule_applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # last cron fire used
    # one reconcile of a group at a time, in any process: a round holds this lease (a dead one's ends)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class AutoscalingActivity(Base):
    """One scaling activity: `action` launch | terminate | scale | delete, `cause` (why),
    `status` in_progress | succeeded | failed, the instance it concerns, a `message` when it
    failed. Written (in_progress) before the engine is asked, finished after."""

    __tablename__ = "autoscaling_activities"
    __table_args__ = (Index("ix_autoscaling_activities_group", "group_id", "id"), NEVER_REUSE_IDS)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    group_id: Mapped[str] = mapped_column(ForeignKey("autoscaling_groups.id", ondelete="CASCADE"))
    owner_id: Mapped[int] = mapped_column(Integer, index=True)
    action: Mapped[str] = mapped_column(String(16))
    cause: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="in_progress")
    instance_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    message: Mapped[str | None] = mapped_column(Text, nullable=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
