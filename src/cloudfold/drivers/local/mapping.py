"""Engine objects -> Discovered records."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cloudfold.drivers.base import Discovered

STATUS = {
    "created": "stopped",
    "running": "running",
    "paused": "paused",
    "restarting": "pending",
    "removing": "stopping",
    "exited": "stopped",
    "stopped": "stopped",
    "dead": "error",
}


def _time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")[:26] + ("+00:00" if value.endswith("Z") else ""))
    except ValueError:
        return None


def container(attrs: dict[str, Any], region: str | None) -> Discovered:
    state = attrs.get("State") or {}
    config = attrs.get("Config") or {}
    host = attrs.get("HostConfig") or {}
    nets = (attrs.get("NetworkSettings") or {}).get("Networks") or {}
    ips = {name: n.get("IPAddress") for name, n in nets.items() if n.get("IPAddress")}
    ports = (attrs.get("NetworkSettings") or {}).get("Ports") or {}
    published = sorted(
        f"{b.get('HostIp') or '0.0.0.0'}:{b.get('HostPort')}->{port}"
        for port, binds in ports.items() if binds for b in binds
    )
    labels = config.get("Labels") or {}
    raw_status = state.get("Status") or "unknown"
    return Discovered(
        kind="container",
        external_id=attrs["Id"],
        name=(attrs.get("Name") or attrs["Id"][:12]).lstrip("/"),
        status=STATUS.get(raw_status, "unknown"),
        region=region,
        metadata={
            "image": config.get("Image"),
            "engine_status": raw_status,
            "private_ip": next(iter(ips.values()), None),
            "ip_addresses": ips,
            "networks": sorted(nets),
            "ports": published,
            "command": config.get("Cmd"),
            "memory_bytes": host.get("Memory") or None,
            "nano_cpus": host.get("NanoCpus") or None,
            "restart_count": attrs.get("RestartCount", 0),
            "started_at": state.get("StartedAt"),
            "pid": state.get("Pid") or None,
            "labels": labels,
        },
        tags={k: v for k, v in labels.items() if not k.startswith(("io.", "org.", "com.docker"))},
        created_at=_time(attrs.get("Created")),
    )


# the label cloudfold puts on engine objects it made for seed 003 (see provision.py); a
# network labelled as a subnet is synced as one, so the sync and the local cloud share a record
KIND_LABEL = "cloudfold.kind"


def network(attrs: dict[str, Any], region: str | None) -> Discovered:
    configs = (attrs.get("IPAM") or {}).get("Config") or []
    subnet = next((c.get("Subnet") for c in configs if c.get("Subnet")), None)
    gateway = next((c.get("Gateway") for c in configs if c.get("Gateway")), None)
    labels = attrs.get("Labels") or {}
    return Discovered(
        kind="subnet" if labels.get(KIND_LABEL) == "subnet" else "network",
        external_id=attrs["Id"],
        name=attrs.get("Name") or attrs["Id"][:12],
        status="active",
        region=region,
        metadata={"driver": attrs.get("Driver"), "cidr_block": subnet, "gateway": gateway,
                  "internal": attrs.get("Internal", False), "labels": labels},
        tags=dict(labels),
        created_at=_time(attrs.get("Created")),
    )


def volume(attrs: dict[str, Any], region: str | None) -> Discovered:
    labels = attrs.get("Labels") or {}
    return Discovered(
        kind="volume",
        external_id=attrs["Name"],
        name=attrs["Name"],
        status="available",
        region=region,
        metadata={"driver": attrs.get("Driver"), "mountpoint": attrs.get("Mountpoint"), "labels": labels},
        tags=dict(labels),
        created_at=_time(attrs.get("CreatedAt")),
    )
