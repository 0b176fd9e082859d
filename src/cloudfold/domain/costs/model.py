"""The cost model for machines without a billing API (the local engine, Proxmox): unit prices
per vCPU-hour, GB-hour of memory and GB-month of disk (`catalogue.model_prices`: the account
config's `prices`, else the shipped defaults) applied to the hours each machine ran that day.

Hours a machine ran on a day = the larger of (a) the distinct clock hours of that day with a
metric sample (domain/metrics history) and (b) the overlap of that day with its current run
as the inventory sees it (running, started `uptime` seconds ago). So a container that ran 3 of
24 hours costs 3 hours. Size: vCPUs from the machine's limit (`nano_cpus`, Proxmox `cpus`),
memory from its limit (`memory_bytes`, Proxmox `maxmem`), disk from its root filesystem size;
a machine with no limit is costed as 1 vCPU and 1 GB (`DEFAULT_VCPU`, `DEFAULT_MEMORY_GB`).
Disk is costed for the hours the machine ran, at GB-month / 730 per hour."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloudfold.db.models import MetricSample, Resource
from cloudfold.domain import usage
from cloudfold.domain.costs import catalogue
from cloudfold.domain.costs.catalogue import HOURS_PER_MONTH
from cloudfold.drivers import registry
from cloudfold.drivers.base import DriverNotImplemented

DEFAULT_VCPU = 1.0
DEFAULT_MEMORY_GB = 1.0
GB = 1024 ** 3
MACHINE_KINDS = ("vm", "container")


@dataclass(frozen=True)
class MachineDay:
    resource: Resource
    day: date
    hours: float
    vcpu: float
    memory_gb: float
    disk_gb: float

    def cost_micros(self, unit: dict[str, int]) -> int:
        return round(_per_hour(self.vcpu, self.memory_gb, self.disk_gb, unit) * self.hours)


def _per_hour(vcpu: float, memory_gb: float, disk_gb: float, unit: dict[str, int]) -> float:
    return vcpu * unit["vcpu_hour"] + memory_gb * unit["memory_gb_hour"] + disk_gb * unit["disk_gb_month"] / HOURS_PER_MONTH


def modelled(provider_type: str) -> bool:
    """Whether an account of this type is costed by the model (its driver has no billing API)."""
    try:
        return not registry.driver_class(provider_type).supports("costs")
    except (KeyError, DriverNotImplemented):  # unknown, or its SDK is not installed
        return False


def hourly_micros(row: Resource) -> int | None:
    """What a running machine costs an hour now under its account's cost model (None: its
    account is not modelled): the month-end projection's price for a machine without one."""
    account = row.account
    if account is None or row.kind not in MACHINE_KINDS or not modelled(account.provider_type):
        return None
    return round(_per_hour(*size(row), catalogue.model_prices(account.config)))


def size(row: Resource) -> tuple[float, float, float]:
    meta = row.meta or {}
    vcpu = (meta.get("nano_cpus") or 0) / 1e9 or meta.get("cpus") or DEFAULT_VCPU
    memory = (meta.get("memory_bytes") or meta.get("maxmem") or 0) / GB or DEFAULT_MEMORY_GB
    disk = (usage.sizes(row).get("rootfs") or meta.get("maxdisk") or 0) / GB
    return float(vcpu), float(memory), float(disk)


def _uptime_hours(row: Resource, day: date, now: datetime) -> float:
    if row.status != "running":
        return 0.0
    started = now - timedelta(seconds=usage.uptime(row))
    start = max(started, datetime.combine(day, time(), UTC))
    end = min(now, datetime.combine(day + timedelta(days=1), time(), UTC))
    return max((end - start).total_seconds(), 0.0) / 3600


def _sampled_hours(session: Session, ids: list[int], days: list[date]) -> dict[tuple[int, date], int]:
    if not ids:
        return {}
    since = datetime.combine(min(days), time(), UTC)
    hours: dict[tuple[int, date], set[int]] = defaultdict(set)
    for rid, at in session.execute(select(MetricSample.resource_id, MetricSample.time)
                                   .where(MetricSample.resource_id.in_(ids), MetricSample.time >= since)):
        hours[(rid, at.date())].add(at.hour)
    return {key: len(v) for key, v in hours.items()}


def machine_days(session: Session, account_id: int, days: list[date], now: datetime) -> list[MachineDay]:
    rows = list(session.scalars(select(Resource).where(Resource.account_id == account_id,
                                                       Resource.kind.in_(MACHINE_KINDS))))
    sampled = _sampled_hours(session, [r.id for r in rows], days)
    out = []
    for row in rows:
        vcpu, memory, disk = size(row)
        for day in days:
            hours = max(float(sampled.get((row.id, day), 0)), _uptime_hours(row, day, now))
            if hours > 0:
                out.append(MachineDay(row, day, round(hours, 4), vcpu, memory, disk))
    return out
