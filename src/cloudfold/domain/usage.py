"""How long a machine has run and what it uses, read from what the inventory keeps: one
reading for every face (seed 004's container figures, seed 000's container nodes).

Sources, first found wins: the engine's stats sample a seed 004 read keeps in the record's
`usage` (under `stats`: `cpu_percent`, or `cpu_total_ns` averaged over the time it had run when
sampled; `memory_usage` bytes; its disk sizes under `size`), then what
a provider reports with its inventory (Proxmox: `cpu` as a fraction of its cores, `mem`
bytes). A machine that is not running uses nothing; None means not known.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from cloudfold import timestamps
from cloudfold.db.models import Resource


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def sample(row: Resource) -> dict[str, Any]:
    """The last stats sample kept for the machine ({} when none)."""
    return (row.usage or {}).get("stats") or {}


def sizes(row: Resource) -> dict[str, Any]:
    """The machine's last known disk sizes: `rw` (its writable layer), `rootfs` ({} when none)."""
    return (row.usage or {}).get("size") or {}


def uptime(row: Resource) -> int:
    """Seconds since the machine started: the provider's figure, else from its start time."""
    meta = row.meta or {}
    if meta.get("uptime"):
        return int(meta["uptime"])
    started = timestamps.parse(meta.get("started_at"))
    if row.status != "running" or started is None:
        return 0
    return max(0, int((datetime.now(timezone.utc) - started).total_seconds()))


def _ran_until_sample(meta: dict[str, Any], st: dict[str, Any]) -> float | None:
    """Seconds from the machine's start to its stats sample: what the sample's total CPU time
    is averaged over (the time of the read would make the figure drift as it ages)."""
    started, taken = timestamps.parse(meta.get("started_at")), timestamps.parse(st.get("at"))
    if started is None or taken is None:
        return None
    seconds = (taken - started).total_seconds()
    return seconds if seconds > 0 else None


def cpu_percent(row: Resource) -> float | None:
    """CPU in use, 100 = one core busy."""
    if row.status != "running":
        return 0.0
    meta, st = row.meta or {}, sample(row)
    if _number(st.get("cpu_percent")) is not None:
        return float(st["cpu_percent"])
    ran = _ran_until_sample(meta, st)
    if _number(st.get("cpu_total_ns")) and ran:
        return round(st["cpu_total_ns"] / (ran * 1e9) * 100, 2)
    fraction = _number(meta.get("cpu"))
    return round(fraction * 100, 2) if fraction is not None else None


def memory_used(row: Resource) -> int | None:
    """Memory in use, in bytes."""
    if row.status != "running":
        return 0
    for value in (sample(row).get("memory_usage"), (row.meta or {}).get("mem")):
        if _number(value) is not None:
            return int(value)
    return None
