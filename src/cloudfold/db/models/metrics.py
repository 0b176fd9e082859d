"""Metric history (issue 10): raw samples per machine, rollups kept as samples arrive, and
the sampling schedule per account (claimed from the database, so several processes share it)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Float, ForeignKey, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from cloudfold.db.base import Base, UTCDateTime

# SQLite keeps these tables clustered on their primary key (no rowid, no second index)
CLUSTERED = {"sqlite_with_rowid": False}


class MetricSample(Base):
    """One raw sample of one machine (kept `metrics_raw_retention_hours`). Counters are the
    engine's own (null where the provider reports rates only); rates are bytes/s, null on a
    machine's first sample; ``seconds`` is the time since the previous sample (the rates' span)."""

    __tablename__ = "metric_samples"
    __table_args__ = (CLUSTERED,)

    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"), primary_key=True)
    time: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    cpu_percent: Mapped[float | None] = mapped_column(Float, nullable=True)  # 100 = one core busy
    cpu_time_ns: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # CPU time counter, when reported
    mem_bytes: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    mem_percent: Mapped[float | None] = mapped_column(Float, nullable=True)
    mem_limit_bytes: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    net_in_bytes: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    net_out_bytes: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    disk_read_bytes: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    disk_write_bytes: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    net_in_rate: Mapped[float | None] = mapped_column(Float, nullable=True)
    net_out_rate: Mapped[float | None] = mapped_column(Float, nullable=True)
    disk_read_rate: Mapped[float | None] = mapped_column(Float, nullable=True)
    disk_write_rate: Mapped[float | None] = mapped_column(Float, nullable=True)
    seconds: Mapped[float | None] = mapped_column(Float, nullable=True)


class MetricRollup(Base):
    """Aggregates of one machine over one bucket (`step` 300 or 3600 seconds, `bucket` its
    start in epoch seconds), added to as samples arrive (never recomputed from raw rows).
    CPU and memory percent are kept in hundredths (integers: smaller rows); byte fields are
    what moved during the bucket; ``seconds`` is the time the samples cover, so a rate is
    bytes / seconds."""

    __tablename__ = "metric_rollups"
    __table_args__ = (CLUSTERED,)

    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"), primary_key=True)
    step: Mapped[int] = mapped_column(Integer, primary_key=True)
    bucket: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    n: Mapped[int] = mapped_column(SmallInteger, default=0)
    cpu_n: Mapped[int] = mapped_column(SmallInteger, default=0)
    cpu_sum: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    cpu_min: Mapped[int | None] = mapped_column(Integer, nullable=True)
    cpu_max: Mapped[int | None] = mapped_column(Integer, nullable=True)
    mem_n: Mapped[int] = mapped_column(SmallInteger, default=0)
    mem_sum: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    mem_min: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    mem_max: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    mem_pct_n: Mapped[int] = mapped_column(SmallInteger, default=0)
    mem_pct_sum: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    net_in: Mapped[int] = mapped_column(BigInteger, default=0)
    net_out: Mapped[int] = mapped_column(BigInteger, default=0)
    disk_read: Mapped[int] = mapped_column(BigInteger, default=0)
    disk_write: Mapped[int] = mapped_column(BigInteger, default=0)


class MetricSource(Base):
    """When each account is next sampled. The sampler claims due accounts with one UPDATE
    (next_due_at moved on), so processes sharing the database never sample one twice; an
    account that fails is pushed out by its backoff (a gap in its history, not an error loop)."""

    __tablename__ = "metric_sources"

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    next_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_sampled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(200), nullable=True)
