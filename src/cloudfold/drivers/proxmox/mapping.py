"""PVE guest records -> Discovered, and the driver's external ids (``node/type/vmid``)."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any, NamedTuple

from cloudfold.drivers.base import Discovered, DriverError

# PVE guest type <-> cloudfold kind
TYPE_OF_KIND = {"vm": "qemu", "container": "lxc"}
KIND_OF_TYPE = {v: k for k, v in TYPE_OF_KIND.items()}

_TAG_SPLIT = re.compile(r"[;,\s]+")


class GuestRef(NamedTuple):
    node: str
    type: str  # qemu | lxc
    vmid: int

    @property
    def kind(self) -> str:
        return KIND_OF_TYPE[self.type]

    @property
    def external_id(self) -> str:
        return f"{self.node}/{self.type}/{self.vmid}"

    @property
    def label(self) -> str:
        return f"{'VM' if self.type == 'qemu' else 'CT'} {self.vmid} on node {self.node}"


def parse_external_id(kind: str, external_id: str) -> GuestRef:
    parts = external_id.split("/") if isinstance(external_id, str) else []
    if len(parts) != 3 or not parts[0] or parts[1] not in KIND_OF_TYPE or not parts[2].isdigit():
        raise DriverError(f"not a Proxmox guest id (node/qemu|lxc/vmid): {external_id!r}")
    ref = GuestRef(parts[0], parts[1], int(parts[2]))
    if kind not in TYPE_OF_KIND:
        raise DriverError(f"Proxmox has no {kind} objects (only vm and container)")
    if TYPE_OF_KIND[kind] != ref.type:
        raise DriverError(f"{external_id} is a {ref.kind}, not a {kind}")
    return ref


def parse_tags(raw: Any) -> list[str]:
    """PVE returns tags as one string, ';'-separated (older releases also accepted ',' and spaces)."""
    if not raw:
        return []
    if isinstance(raw, list):
        return [str(t) for t in raw if t]
    return [t for t in _TAG_SPLIT.split(str(raw)) if t]


def _number(value: Any) -> int | float | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return value
    try:
        text = str(value)
        return float(text) if "." in text else int(text)
    except ValueError:
        return None


def status_of(record: dict[str, Any]) -> str:
    raw = record.get("status")
    qmp = record.get("qmpstatus")
    if raw == "running":
        if qmp in ("paused", "suspended"):
            return "paused"
        if qmp == "prelaunch":
            return "pending"
        return "running"
    if raw == "stopped":
        return "stopped"
    return "unknown"  # PVE says "unknown" for guests on an offline node


def guest(record: dict[str, Any], node: str, type_: str, region: str | None = None,
          node_status: str | None = None) -> Discovered:
    """One entry of GET /nodes/{node}/{qemu|lxc}, of .../status/current, or of /cluster/resources."""
    vmid = int(record["vmid"])  # PVE 7 returned LXC vmids as strings, PVE 8 as integers
    ref = GuestRef(node, type_, vmid)
    tags = parse_tags(record.get("tags"))
    metadata: dict[str, Any] = {
        "node": node,
        "vmid": vmid,
        "type": type_,
        "pve_status": record.get("status"),
        "maxmem": _number(record.get("maxmem")),
        "maxdisk": _number(record.get("maxdisk")),
        "cpus": _number(record.get("cpus", record.get("maxcpu"))),
        "uptime": _number(record.get("uptime")),
        "mem": _number(record.get("mem")),
        "cpu": _number(record.get("cpu")),
        "tags": tags,
        "template": bool(_number(record.get("template")) or 0),
    }
    for optional in ("qmpstatus", "lock", "hastate"):
        if record.get(optional) is not None:
            metadata[optional] = record[optional]
    if node_status and node_status != "online":
        metadata["node_status"] = node_status
    default_name = f"VM {vmid}" if type_ == "qemu" else f"CT{vmid}"
    return Discovered(
        kind=ref.kind,
        external_id=ref.external_id,
        name=str(record.get("name") or default_name),
        status=status_of(record),
        region=region or node,
        metadata=metadata,
        tags={t: "" for t in tags},
    )


RRD_STEP = 60  # seconds per point of the `hour` timeframe


def rrd_reading(points: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The newest rrddata point that has figures, as a metric reading: PVE's `cpu` is a
    fraction of the guest's `maxcpu` cores (here 100 = one core), `mem`/`maxmem` bytes,
    `netin`/`netout`/`diskread`/`diskwrite` bytes/s averaged over the step."""
    for point in sorted((p for p in points if isinstance(p, dict)), key=lambda p: p.get("time") or 0, reverse=True):
        if point.get("cpu") is None or not point.get("time"):
            continue
        return {"time": datetime.fromtimestamp(int(point["time"]), timezone.utc), "span": RRD_STEP,
                "cpu_percent": round(float(point["cpu"]) * float(point.get("maxcpu") or 1) * 100, 2),
                "mem_bytes": point.get("mem"), "mem_limit_bytes": point.get("maxmem"),
                "net_in_rate": point.get("netin"), "net_out_rate": point.get("netout"),
                "disk_read_rate": point.get("diskread"), "disk_write_rate": point.get("diskwrite")}
    return None
