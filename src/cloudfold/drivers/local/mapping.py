"""Engine objects -> Discovered records."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cloudfold import timestamps
from cloudfold.drivers.base import Discovered, LogLine

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


_time = timestamps.parse


def settings(attrs: dict[str, Any]) -> dict[str, Any]:
    """A container's configuration as seed 004 shows it (hostname, swap, restart policy, …)."""
    config, host = attrs.get("Config") or {}, attrs.get("HostConfig") or {}
    memory, swap = host.get("Memory") or 0, host.get("MemorySwap") or 0
    return {"hostname": config.get("Hostname"), "swap_bytes": swap - memory if memory and swap > memory else None,
            "restart_policy": (host.get("RestartPolicy") or {}).get("Name") or "no",
            "privileged": bool(host.get("Privileged")), "storage_driver": (attrs.get("GraphDriver") or {}).get("Name"),
            "storage_size": (host.get("StorageOpt") or {}).get("size"), "network_mode": host.get("NetworkMode")}


def stats(raw: dict[str, Any]) -> dict[str, Any]:
    """One stats sample -> cpu percent (100 = one core), memory and network/block I/O bytes."""
    cpu, pre = raw.get("cpu_stats") or {}, raw.get("precpu_stats") or {}
    total = (cpu.get("cpu_usage") or {}).get("total_usage") or 0
    cores = cpu.get("online_cpus") or len((cpu.get("cpu_usage") or {}).get("percpu_usage") or []) or 1
    cpu_delta = total - ((pre.get("cpu_usage") or {}).get("total_usage") or 0)
    system_delta = (cpu.get("system_cpu_usage") or 0) - (pre.get("system_cpu_usage") or 0)
    if pre.get("system_cpu_usage") and system_delta > 0:
        percent = cpu_delta / system_delta * cores * 100
    else:  # no previous sample: the average since the start (nanoseconds of CPU per elapsed ns)
        percent = None
    nets = (raw.get("networks") or {}).values()
    blk = (raw.get("blkio_stats") or {}).get("io_service_bytes_recursive") or []
    memory = raw.get("memory_stats") or {}
    return {"cpu_percent": None if percent is None else round(percent, 2), "cpu_total_ns": total,
            "memory_usage": memory.get("usage"), "memory_limit": memory.get("limit"),
            "net_in": sum(n.get("rx_bytes") or 0 for n in nets), "net_out": sum(n.get("tx_bytes") or 0 for n in nets),
            "blk_read": sum(b.get("value") or 0 for b in blk if (b.get("op") or "").lower() == "read"),
            "blk_write": sum(b.get("value") or 0 for b in blk if (b.get("op") or "").lower() == "write"),
            "pids": (raw.get("pids_stats") or {}).get("current")}


def reading(sample: dict[str, Any], at: datetime) -> dict[str, Any]:
    """A stats sample (`stats` above) as a metric reading: the engine's counters as they are."""
    return {"time": at, "cpu_percent": sample.get("cpu_percent"), "cpu_time_ns": sample.get("cpu_total_ns"),
            "mem_bytes": sample.get("memory_usage"), "mem_limit_bytes": sample.get("memory_limit"),
            "net_in_bytes": sample.get("net_in"), "net_out_bytes": sample.get("net_out"),
            "disk_read_bytes": sample.get("blk_read"), "disk_write_bytes": sample.get("blk_write")}


def host(info: dict[str, Any], version: dict[str, Any], local: bool) -> dict[str, Any]:
    """The engine's host; uptime, load and storage are read from this machine when the engine runs here."""
    import os

    out: dict[str, Any] = {"name": info.get("Name"), "engine": (version.get("Components") or [{}])[0].get("Name"),
                           "version": version.get("Version") or info.get("ServerVersion"),
                           "cpu_cores": info.get("NCPU"), "memory_total": info.get("MemTotal"),
                           "root_dir": info.get("DockerRootDir"), "uptime": None, "load_average": None,
                           "storage_total": None, "storage_used": None}
    if local:
        try:
            with open("/proc/uptime") as fh:
                out["uptime"] = int(float(fh.read().split()[0]))
            out["load_average"] = [round(x, 2) for x in os.getloadavg()]
            fs = os.statvfs(out["root_dir"] or "/")
            out["storage_total"] = fs.f_blocks * fs.f_frsize
            out["storage_used"] = (fs.f_blocks - fs.f_bfree) * fs.f_frsize
        except OSError:
            pass
    return out

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
    mounts = [{"type": m.get("Type"), "name": m.get("Name") or None, "source": m.get("Source"),
               "destination": m.get("Destination"), "rw": m.get("RW", True)}
              for m in attrs.get("Mounts") or []]
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
            "config": settings(attrs),
            "memory_bytes": host.get("Memory") or None,
            "nano_cpus": host.get("NanoCpus") or None,
            "restart_count": attrs.get("RestartCount", 0),
            "started_at": state.get("StartedAt"),
            "pid": state.get("Pid") or None,
            "health": (state.get("Health") or {}).get("Status") or None,  # healthcheck verdict, when one is set
            "mounts": mounts,
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


MAX_LOG_LINE = 8192


def log_line(line: str) -> LogLine:
    """A line of `logs(timestamps=True)`: an RFC 3339 time, a space, the text."""
    stamp, _, rest = line.partition(" ")
    when = timestamps.parse(stamp) if timestamps.STAMP.fullmatch(stamp) else None
    if when is None:
        return LogLine(time=None, message=line[:MAX_LOG_LINE])
    return LogLine(time=when, message=rest[:MAX_LOG_LINE])
