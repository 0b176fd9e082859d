"""What was used this month: free-tier use per account (`/cost/free-tier`) and per-machine
hours, CPU, memory and disk with their cost (`/cost/resource-usage`).

Quantities come from the records' `detail`: `hours` (compute hours: the cost model's hours a
machine ran; Cost Explorer's usage quantity of a compute service), `gb_month` (storage) and
`egress_gb`. Per machine, hours, CPU and memory are the metric history's over the period
(`domain/metrics/period.py`: hours with samples, averages, disk bytes read and written;
`source` "history") where it has samples, else the records' hours and the latest reading the
inventory keeps (`domain/usage`; `source` "latest"). Disk size is always the latest reading
(the history keeps disk I/O, not size)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloudfold.db.models import Account, CostRecord, Resource
from cloudfold.domain import policy, usage
from cloudfold.domain.context import Principal
from cloudfold.domain.costs import aggregate, catalogue
from cloudfold.domain.costs.periods import Period
from cloudfold.domain.metrics import period as history

METRICS = {"compute_hours": "hours", "storage_gb": "gb_month", "egress_gb": "egress_gb"}
WARN_PERCENT = 80
MACHINE_KINDS = ("vm", "container", "instance")


@dataclass(frozen=True)
class Allowance:
    metric: str
    limit: float
    unit: str
    kind: str  # always-free | 12-month
    used: float
    applies_to: list[str]
    note: str | None

    @property
    def percent(self) -> float:
        return round(self.used * 100 / self.limit, 1) if self.limit else 0.0

    @property
    def level(self) -> str:
        return "exceeded" if self.percent >= 100 else "warning" if self.percent >= WARN_PERCENT else "ok"


@dataclass(frozen=True)
class AccountFreeTier:
    account_id: int
    slug: str
    provider: str
    allowances: list[Allowance]


def _quantities(session: Session, viewer: Principal | None, period: Period) -> dict[int, dict[str, float]]:
    stmt = policy.cost_records(select(CostRecord.account_id, CostRecord.resource_id, CostRecord.detail), viewer)
    stmt = stmt.where(CostRecord.day >= period.start, CostRecord.day <= period.end)
    totals: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for account_id, resource_id, detail in session.execute(stmt):
        for key in METRICS.values():
            value = (detail or {}).get(key)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                totals[account_id][key] += value
                if resource_id is not None:
                    totals[-resource_id][key] += value  # per machine, under a key no account has
    return totals


def free_tier(session: Session, viewer: Principal | None, month: date) -> list[AccountFreeTier]:
    first, last = aggregate.month_bounds(month)
    data = catalogue.free_tier()["allowances"]
    used = _quantities(session, viewer, Period(first, last))
    stmt = policy.accounts(select(Account), viewer).where(Account.provider_type.in_(list(data))).order_by(Account.id)
    out = []
    for account in session.scalars(stmt):
        mine = used.get(account.id, {})
        out.append(AccountFreeTier(account.id, account.slug, account.provider_type, [
            Allowance(a["metric"], a["limit"], a["unit"], a["kind"], round(mine.get(METRICS[a["metric"]], 0.0), 3),
                      a["applies_to"], a.get("note")) for a in data[account.provider_type]]))
    return out


@dataclass(frozen=True)
class MachineUse:
    resource: Resource
    hours: float
    cost_micros: int
    priced: bool
    cpu_percent: float | None
    memory_used: int | None
    disk_bytes: int | None
    source: str  # history | latest
    disk_read_bytes: int | None = None  # from the history only
    disk_write_bytes: int | None = None


def _measured(row: Resource, recorded_hours: float, seen: history.PeriodUse | None) -> dict:
    if seen is None:
        return {"hours": round(recorded_hours, 3), "cpu_percent": usage.cpu_percent(row),
                "memory_used": usage.memory_used(row), "source": "latest"}
    return {"hours": float(seen.hours), "cpu_percent": seen.cpu_percent, "memory_used": seen.memory_bytes,
            "source": "history", "disk_read_bytes": seen.disk_read_bytes, "disk_write_bytes": seen.disk_write_bytes}


def machines(session: Session, viewer: Principal | None, period: Period, currency: str = "USD") -> list[MachineUse]:
    stmt = policy.resources(select(Resource), viewer).where(Resource.vanished.is_(False),
                                                            Resource.kind.in_(MACHINE_KINDS)).order_by(Resource.id)
    rows = list(session.scalars(stmt))
    spend = {g.key[0]: g.spend for g in aggregate.grouped(session, viewer, by=["resource"], start=period.start,
                                                          end=period.end, currency=currency,
                                                          resource_ids=[r.id for r in rows])}
    used = _quantities(session, viewer, period)
    seen = history.use(session, [r.id for r in rows], period.start, period.end)
    out = []
    for row in rows:
        s = spend.get(row.id)
        size = usage.sizes(row)
        out.append(MachineUse(row, cost_micros=s.amount_micros if s else 0,
                              priced=s.priced if s else row.cost_per_hour is not None,
                              disk_bytes=size.get("rootfs") or size.get("rw"),
                              **_measured(row, used.get(-row.id, {}).get("hours", 0.0), seen.get(row.id))))
    return out
