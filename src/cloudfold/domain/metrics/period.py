"""Each machine's use over a period of days, from the metric history's hourly rollups (kept
`metrics_1h_retention_days`): hours with samples, CPU % and memory as averages over every
sample of the period (sums / counts, as `series.py` averages), and the bytes read from and
written to disk. Read by the cost core's `/cost/resource-usage` (domain/costs/use.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloudfold.db.models import MetricRollup
from cloudfold.domain.metrics import store

HOUR = 3600
CHUNK = 500  # machines per query (bound parameters stay few)


@dataclass(frozen=True)
class PeriodUse:
    hours: int  # clock hours with at least one sample
    cpu_percent: float | None  # average; 100 = one core busy
    memory_bytes: int | None  # average
    disk_read_bytes: int
    disk_write_bytes: int


def _epoch(day: date) -> int:
    return int(datetime.combine(day, time(), tzinfo=UTC).timestamp())


def use(session: Session, resource_ids: Sequence[int], start: date, end: date) -> dict[int, PeriodUse]:
    """The history's figures for each machine with samples between the days ``start`` and ``end``
    (inclusive, UTC); machines without samples are absent."""
    r = MetricRollup
    first, after = _epoch(start), _epoch(end + timedelta(days=1))
    out: dict[int, PeriodUse] = {}
    ids = list(resource_ids)
    for i in range(0, len(ids), CHUNK):
        rows = session.execute(
            select(r.resource_id, func.count(), func.sum(r.cpu_sum), func.sum(r.cpu_n), func.sum(r.mem_sum),
                   func.sum(r.mem_n), func.sum(r.disk_read), func.sum(r.disk_write))
            .where(r.resource_id.in_(ids[i:i + CHUNK]), r.step == HOUR, r.bucket >= first, r.bucket < after, r.n > 0)
            .group_by(r.resource_id))
        for rid, hours, cpu_sum, cpu_n, mem_sum, mem_n, read, written in rows:
            out[rid] = PeriodUse(int(hours), round(cpu_sum / cpu_n / store.SCALE, 2) if cpu_n else None,
                                 round(mem_sum / mem_n) if mem_n else None, int(read or 0), int(written or 0))
    return out
