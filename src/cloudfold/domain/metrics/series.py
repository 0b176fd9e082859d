"""Reading metric history: a machine's figures over a range, at an interval, from the
coarsest series that gives it (raw samples for 30 s and 1 min, the 5-minute and 1-hour
rollups above), never more than MAX_POINTS points.

Raw samples are folded into buckets with the same arithmetic as the rollups
(`store.bucket_of`/`merge`), so every series answers the same figures: averages are sums
over counts, minimums and maximums are kept, bytes are what moved, rates are bytes / seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloudfold.db.models import MetricRollup, MetricSample, Resource
from cloudfold.domain import inventory
from cloudfold.domain.context import Principal
from cloudfold.domain.metrics import store
from cloudfold.errors import BadRequest

RANGES = {"1h": 3600, "24h": 86_400, "7d": 7 * 86_400, "30d": 30 * 86_400}
INTERVALS = {"30s": 30, "1m": 60, "5m": 300, "1h": 3600}
MAX_POINTS = 1500
ROLLUP_COLUMNS = [c for c in MetricRollup.__table__.c]


@dataclass
class Point:
    timestamp: int  # the bucket's start, epoch seconds
    cpu: float | None
    cpu_min: float | None
    cpu_max: float | None
    memory: int | None
    memory_min: int | None
    memory_max: int | None
    memory_percent: float | None
    moved: dict[str, int]  # bytes moved in the bucket: net_in, net_out, disk_read, disk_write
    rates: dict[str, float | None]  # bytes/s over the bucket, same keys


@dataclass
class History:
    machine: Resource
    vmid: int
    range: str
    interval: str
    points: list[Point]
    latest: MetricSample | None
    cpu: dict[str, float | None]  # average, min, max over the range
    memory: dict[str, float | None]
    totals: dict[str, int]  # bytes moved over the range, by counter


def interval_for(range_: str, interval: str | None) -> str:
    """The asked interval, or (auto) the finest one that keeps to MAX_POINTS; 400 otherwise."""
    if range_ not in RANGES:
        raise BadRequest(f"Invalid range '{range_}': use one of {', '.join(RANGES)}")
    seconds = RANGES[range_]
    if interval in (None, "", "auto"):
        return next(name for name, step in INTERVALS.items() if seconds / step <= MAX_POINTS)
    if interval not in INTERVALS:
        raise BadRequest(f"Invalid interval '{interval}': use one of {', '.join(INTERVALS)} or auto")
    if seconds / INTERVALS[interval] > MAX_POINTS:
        finest = interval_for(range_, None)
        raise BadRequest(f"Interval '{interval}' gives more than {MAX_POINTS} points over {range_}: "
                         f"use '{finest}' or coarser")
    return interval


def _buckets(session: Session, resource_id: int, step: int, start: datetime) -> list[dict[str, Any]]:
    first = int(start.timestamp()) // step * step
    if step in store.STEPS:
        rows = session.execute(select(*ROLLUP_COLUMNS).where(
            MetricRollup.resource_id == resource_id, MetricRollup.step == step, MetricRollup.bucket >= first)
            .order_by(MetricRollup.bucket))
        return [dict(r._mapping) for r in rows]
    merged: dict[int, dict[str, Any]] = {}
    for sample in session.scalars(select(MetricSample).where(
            MetricSample.resource_id == resource_id, MetricSample.time >= datetime.fromtimestamp(first, timezone.utc))
            .order_by(MetricSample.time)):
        part = store.bucket_of(sample, step)
        key = part["bucket"]
        merged[key] = store.merge(merged[key], part) if key in merged else part
    return list(merged.values())


def _avg(total: float, count: int, scale: float = 1) -> float | None:
    return round(total / count / scale, 2) if count else None


def _scaled(value: int | None) -> float | None:
    return round(value / store.SCALE, 2) if value is not None else None


def _point(b: dict[str, Any]) -> Point:
    seconds = b["seconds"]
    return Point(
        timestamp=b["bucket"], cpu=_avg(b["cpu_sum"], b["cpu_n"], store.SCALE), cpu_min=_scaled(b["cpu_min"]),
        cpu_max=_scaled(b["cpu_max"]), memory=None if not b["mem_n"] else round(b["mem_sum"] / b["mem_n"]),
        memory_min=b["mem_min"], memory_max=b["mem_max"],
        memory_percent=_avg(b["mem_pct_sum"], b["mem_pct_n"], store.SCALE),
        moved={k: int(b[k]) for k in store.COUNTERS},
        rates={k: (round(b[k] / seconds, 2) if seconds else None) for k in store.COUNTERS})


def _overall(buckets: list[dict[str, Any]], prefix: str, scale: float) -> dict[str, float | None]:
    count = sum(b[f"{prefix}_n"] for b in buckets)
    lows = [b[f"{prefix}_min"] for b in buckets if b[f"{prefix}_min"] is not None]
    highs = [b[f"{prefix}_max"] for b in buckets if b[f"{prefix}_max"] is not None]
    return {"average": _avg(sum(b[f"{prefix}_sum"] for b in buckets), count, scale),
            "min": round(min(lows) / scale, 2) if lows else None,
            "max": round(max(highs) / scale, 2) if highs else None}


def history(session: Session, viewer: Principal, vmid: int, range_: str = "1h", interval: str | None = None,
            now: datetime | None = None) -> History:
    """A machine's history the viewer may see (404 as the containers faces otherwise)."""
    name = interval_for(range_, interval)
    machine = inventory.by_vmid(session, viewer, vmid)
    now = now or datetime.now(timezone.utc)
    buckets = _buckets(session, machine.id, INTERVALS[name], now - timedelta(seconds=RANGES[range_]))
    latest = store.latest(session, [machine.id]).get(machine.id)
    return History(machine=machine, vmid=vmid, range=range_, interval=name, points=[_point(b) for b in buckets],
                   latest=latest, cpu=_overall(buckets, "cpu", store.SCALE), memory=_overall(buckets, "mem", 1),
                   totals={k: int(sum(b[k] for b in buckets)) for k in store.COUNTERS})
