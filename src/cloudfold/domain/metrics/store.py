"""Storing metric readings: rates from counters, raw samples, rollups added to as samples
arrive, the machine's current figures in `resources.usage`, and pruning by retention.

A reading is what a driver's `metrics()` answers for one machine (see drivers/base.py). The
previous sample of each machine is read from the database (not from memory), so rates are
right whichever process sampled last. A counter that went down (the machine restarted) counts
from zero. Rollups are one UPSERT per machine and bucket (`INSERT … ON CONFLICT DO UPDATE`,
SQLite and PostgreSQL): sums and counts are added, minimums and maximums kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import and_, bindparam, case, delete, func, insert, select, update
from sqlalchemy.orm import Session

from cloudfold.db.models import MetricRollup, MetricSample, Resource

STEPS = (300, 3600)  # the rollups' bucket lengths, in seconds
COUNTERS = ("net_in", "net_out", "disk_read", "disk_write")  # each: <name>_bytes counter, <name>_rate
SAMPLE_COLUMNS = [c.key for c in MetricSample.__table__.c]
SCALE = 100  # rollups keep CPU and memory percent in hundredths (integers)


@dataclass
class Reading:
    resource_id: int
    time: datetime
    figures: dict[str, Any]


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _int(value: Any) -> int | None:
    number = _num(value)
    return int(number) if number is not None else None


def latest(session: Session, resource_ids: Sequence[int], since: datetime | None = None) -> dict[int, MetricSample]:
    """The newest raw sample of each machine (within `since`), by resource id."""
    if not resource_ids:
        return {}
    newest = (select(MetricSample.resource_id, func.max(MetricSample.time).label("t"))
              .where(MetricSample.resource_id.in_(list(resource_ids)),
                     *([MetricSample.time >= since] if since else []))
              .group_by(MetricSample.resource_id).subquery())
    rows = session.scalars(select(MetricSample).join(newest, and_(MetricSample.resource_id == newest.c.resource_id,
                                                                   MetricSample.time == newest.c.t)))
    return {row.resource_id: row for row in rows}


def _sample(reading: Reading, prev: MetricSample | None) -> MetricSample | None:
    """The raw row for a reading, its rates from the previous sample's counters (or the
    provider's own rates over `span`); None when it is not newer than the previous one."""
    f = reading.figures
    if prev is not None and reading.time <= prev.time:
        return None
    seconds = (reading.time - prev.time).total_seconds() if prev is not None else None
    span = _num(f.get("span"))
    row = MetricSample(resource_id=reading.resource_id, time=reading.time, cpu_percent=_num(f.get("cpu_percent")),
                       cpu_time_ns=_int(f.get("cpu_time_ns")), mem_bytes=_int(f.get("mem_bytes")),
                       mem_limit_bytes=_int(f.get("mem_limit_bytes")) or None)
    if row.cpu_percent is None and row.cpu_time_ns is not None and prev is not None and prev.cpu_time_ns is not None \
            and seconds:
        used = row.cpu_time_ns - prev.cpu_time_ns
        row.cpu_percent = round((used if used >= 0 else row.cpu_time_ns) / (seconds * 1e9) * 100, 2)
    if row.mem_bytes is not None and row.mem_limit_bytes:
        row.mem_percent = round(row.mem_bytes / row.mem_limit_bytes * 100, 2)
    row.seconds = span if span else seconds
    for name in COUNTERS:
        counter, rate = _int(f.get(f"{name}_bytes")), _num(f.get(f"{name}_rate"))
        setattr(row, f"{name}_bytes", counter)
        if rate is None and counter is not None and prev is not None and seconds:
            before = getattr(prev, f"{name}_bytes")
            if before is not None:
                rate = (counter - before if counter >= before else counter) / seconds
        setattr(row, f"{name}_rate", round(rate, 2) if rate is not None else None)
    return row


def bucket_of(row: MetricSample, step: int) -> dict[str, Any]:
    """One sample's share of its rollup bucket (percentages in hundredths)."""
    cpu = round(row.cpu_percent * SCALE) if row.cpu_percent is not None else None
    pct = round(row.mem_percent * SCALE) if row.mem_percent is not None else None
    seconds = row.seconds or 0.0
    moved = {name: round((getattr(row, f"{name}_rate") or 0) * seconds) for name in COUNTERS}
    epoch = int(row.time.timestamp())
    return {"resource_id": row.resource_id, "step": step, "bucket": epoch - epoch % step, "n": 1,
            "cpu_n": int(cpu is not None), "cpu_sum": cpu or 0, "cpu_min": cpu, "cpu_max": cpu,
            "mem_n": int(row.mem_bytes is not None), "mem_sum": row.mem_bytes or 0,
            "mem_min": row.mem_bytes, "mem_max": row.mem_bytes,
            "mem_pct_n": int(pct is not None), "mem_pct_sum": pct or 0,
            "seconds": seconds if row.net_in_rate is not None or row.disk_read_rate is not None else 0.0, **moved}


ADDED = ("n", "cpu_n", "cpu_sum", "mem_n", "mem_sum", "mem_pct_n", "mem_pct_sum", "seconds", *COUNTERS)


def merge(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    out = {**a, **{k: a[k] + b[k] for k in ADDED}}
    for k, pick in (("cpu_min", min), ("cpu_max", max), ("mem_min", min), ("mem_max", max)):
        values = [v for v in (a[k], b[k]) if v is not None]
        out[k] = pick(values) if values else None
    return out


def _insert(session: Session):
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(MetricRollup)


def _kept(new, old, smaller: bool):
    """The smaller (or larger) of a stored and a new figure, either of which may be null."""
    better = new < old if smaller else new > old
    return case((new.is_(None), old), (old.is_(None), new), (better, new), else_=old)


def _upsert_rollups(session: Session, rows: Iterable[MetricSample]) -> None:
    buckets: dict[tuple[int, int, int], dict[str, Any]] = {}
    for row in rows:
        for step in STEPS:
            part = bucket_of(row, step)
            key = (part["resource_id"], step, part["bucket"])
            buckets[key] = merge(buckets[key], part) if key in buckets else part
    if not buckets:
        return
    stmt = _insert(session)
    t, ex = MetricRollup.__table__.c, stmt.excluded
    updates: dict[str, Any] = {k: t[k] + ex[k] for k in ADDED}
    for k in ("cpu_min", "mem_min"):
        updates[k] = _kept(ex[k], t[k], smaller=True)
    for k in ("cpu_max", "mem_max"):
        updates[k] = _kept(ex[k], t[k], smaller=False)
    session.execute(stmt.on_conflict_do_update(index_elements=["resource_id", "step", "bucket"], set_=updates),
                    list(buckets.values()))


def current(row: MetricSample) -> dict[str, Any]:
    """A sample as the machine's current figures (`resources.usage["stats"]`, domain/usage)."""
    return {"cpu_percent": row.cpu_percent, "cpu_total_ns": row.cpu_time_ns, "memory_usage": row.mem_bytes,
            "memory_limit": row.mem_limit_bytes, "memory_percent": row.mem_percent, "net_in": row.net_in_bytes, "net_out": row.net_out_bytes,
            "blk_read": row.disk_read_bytes, "blk_write": row.disk_write_bytes,
            "net_in_rate": row.net_in_rate, "net_out_rate": row.net_out_rate,
            "disk_read_rate": row.disk_read_rate, "disk_write_rate": row.disk_write_rate,
            "at": row.time.isoformat()}


def ingest(session: Session, readings: Sequence[Reading], raw_hours: int = 48) -> list[MetricSample]:
    """Store readings (several machines, any order): raw rows, rollups, current figures.
    Returns the samples written; the caller commits."""
    ordered = sorted(readings, key=lambda r: (r.resource_id, r.time))
    since = datetime.now(timezone.utc) - timedelta(hours=raw_hours)
    prev = latest(session, sorted({r.resource_id for r in ordered}), since)
    written: list[MetricSample] = []
    for reading in ordered:
        row = _sample(reading, prev.get(reading.resource_id))
        if row is not None:
            written.append(row)
            prev[reading.resource_id] = row
    if not written:
        return []
    session.execute(insert(MetricSample), [{c: getattr(row, c) for c in SAMPLE_COLUMNS} for row in written])
    _upsert_rollups(session, written)
    newest = {row.resource_id: row for row in written}
    kept = session.execute(select(Resource.id, Resource.usage).where(Resource.id.in_(list(newest))))
    table = Resource.__table__  # a sample is not a change of the record: updated_at stays
    session.execute(update(table).where(table.c.id == bindparam("rid"))
                    .values(usage=bindparam("kept"), updated_at=table.c.updated_at),
                    [{"rid": rid, "kept": {**(usage or {}), "stats": current(newest[rid])}} for rid, usage in kept])
    return written


def prune(session: Session, settings, now: datetime | None = None) -> dict[str, int]:
    """Drop what has outlived its retention (raw hours, 5-minute and 1-hour days); commits."""
    now = now or datetime.now(timezone.utc)
    raw = session.execute(delete(MetricSample).where(
        MetricSample.time < now - timedelta(hours=settings.metrics_raw_retention_hours))).rowcount
    out = {"raw": raw or 0}
    for step, days in ((300, settings.metrics_5m_retention_days), (3600, settings.metrics_1h_retention_days)):
        cutoff = int((now - timedelta(days=days)).timestamp())
        out[f"{step}s"] = session.execute(delete(MetricRollup).where(
            MetricRollup.step == step, MetricRollup.bucket < cutoff)).rowcount or 0
    session.commit()
    return out
