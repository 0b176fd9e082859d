"""Seed 004's analytics shapes, named as its examples name them, from `metrics.series.History`."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from cloudfold.domain import usage
from cloudfold.domain.metrics.series import History


class Series(BaseModel):
    vmid: int
    metric: str
    range: str
    interval: str
    data_points: int


class CpuPoint(BaseModel):
    timestamp: int = Field(description="Bucket start, epoch seconds")
    value: float | None = Field(description="Average CPU percent over the bucket (100 = one core)")
    min: float | None
    max: float | None


class CpuSeries(Series):
    data: list[CpuPoint]
    average: float | None
    min: float | None
    max: float | None


class MemoryPoint(BaseModel):
    timestamp: int
    value: int | None = Field(description="Average bytes in use")
    percent: float | None = Field(description="Of the memory limit")


class MemorySeries(Series):
    data: list[MemoryPoint]
    average: float | None
    min: float | None
    max: float | None


class NetworkPoint(BaseModel):
    timestamp: int
    in_: int = Field(alias="in", description="Bytes received in the bucket")
    out: int = Field(description="Bytes sent in the bucket")
    in_rate: float | None = Field(description="Bytes/s")
    out_rate: float | None


class NetworkTotals(BaseModel):
    in_: int = Field(alias="in")
    out: int


class NetworkSeries(Series):
    data: list[NetworkPoint]
    totals: NetworkTotals


class DiskPoint(BaseModel):
    timestamp: int
    read: int
    write: int
    read_rate: float | None
    write_rate: float | None


class DiskTotals(BaseModel):
    read: int
    write: int


class DiskSeries(Series):
    data: list[DiskPoint]
    totals: DiskTotals


class CpuSummary(BaseModel):
    current: float | None
    average: float | None
    min: float | None
    max: float | None


class MemorySummary(BaseModel):
    current: int | None
    average: float | None
    total: int | None = Field(description="Memory limit, bytes")
    percent: float | None


class NetworkSummary(BaseModel):
    in_rate: float | None
    out_rate: float | None
    total_in: int
    total_out: int


class DiskSummary(BaseModel):
    usage: int | None = Field(description="Writable layer bytes")
    total: int | None = Field(description="Root filesystem bytes")
    percent: float | None
    read_rate: float | None
    write_rate: float | None


class Summary(BaseModel):
    vmid: int
    range: str
    cpu: CpuSummary
    memory: MemorySummary
    network: NetworkSummary
    disk: DiskSummary


def _head(h: History, metric: str) -> dict[str, Any]:
    return {"vmid": h.vmid, "metric": metric, "range": h.range, "interval": h.interval, "data_points": len(h.points)}


def cpu(h: History) -> dict[str, Any]:
    return {**_head(h, "cpu"), **h.cpu,
            "data": [{"timestamp": p.timestamp, "value": p.cpu, "min": p.cpu_min, "max": p.cpu_max} for p in h.points]}


def memory(h: History) -> dict[str, Any]:
    return {**_head(h, "memory"), **h.memory,
            "data": [{"timestamp": p.timestamp, "value": p.memory, "percent": p.memory_percent} for p in h.points]}


def _io(h: History, metric: str, a: str, b: str, keys: tuple[str, str]) -> dict[str, Any]:
    ka, kb = keys
    return {**_head(h, metric), "totals": {a: h.totals[ka], b: h.totals[kb]},
            "data": [{"timestamp": p.timestamp, a: p.moved[ka], b: p.moved[kb],
                      f"{a}_rate": p.rates[ka], f"{b}_rate": p.rates[kb]} for p in h.points]}


def network(h: History) -> dict[str, Any]:
    return _io(h, "network", "in", "out", ("net_in", "net_out"))


def disk(h: History) -> dict[str, Any]:
    return _io(h, "disk", "read", "write", ("disk_read", "disk_write"))


def _percent(part: float | None, whole: float | None) -> float | None:
    return round(part / whole * 100, 2) if part is not None and whole else None


def summary(h: History) -> dict[str, Any]:
    last, size = h.latest, usage.sizes(h.machine)
    limit = (last.mem_limit_bytes if last else None) or (h.machine.meta or {}).get("memory_bytes")
    return {
        "vmid": h.vmid, "range": h.range,
        "cpu": {"current": last.cpu_percent if last else None, **h.cpu},
        "memory": {"current": last.mem_bytes if last else None, "average": h.memory["average"], "total": limit,
                   "percent": last.mem_percent if last else None},
        "network": {"in_rate": last.net_in_rate if last else None, "out_rate": last.net_out_rate if last else None,
                    "total_in": h.totals["net_in"], "total_out": h.totals["net_out"]},
        "disk": {"usage": size.get("rw"), "total": size.get("rootfs"), "percent": _percent(size.get("rw"), size.get("rootfs")),
                 "read_rate": last.disk_read_rate if last else None, "write_rate": last.disk_write_rate if last else None},
    }
