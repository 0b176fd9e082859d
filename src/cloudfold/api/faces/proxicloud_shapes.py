"""Seed 004's objects, shaped from the domain's figures (`proxicloud.Container`, `Hit`, `Host`,
`Summary`): the summary of a list entry, one container's `config` and `current` (their
PVE-style strings: rootfs, net0, features), search results, a free name, /api/info and
/api/dashboard/summary."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from cloudfold import __version__
from cloudfold.domain.proxicloud import MB, Container, Hit, Host, Summary

RESTARTS_ON_BOOT = ("always", "unless-stopped")


def summary(c: Container) -> dict[str, Any]:
    return {"vmid": c.vmid, "name": c.name, "status": c.status, "template": c.template, "cpu": c.cpu,
            "memory": c.memory, "disk": c.disk, "uptime": c.uptime, "cpu_usage": c.cpu_usage,
            "memory_usage": c.memory_usage, "network_in": c.network_in, "network_out": c.network_out,
            "ip_address": c.ip_address}


def listing(containers: list[Container]) -> dict[str, Any]:
    return {"containers": [summary(c) for c in containers], "total": len(containers),
            "running": sum(1 for c in containers if c.status == "running"),
            "stopped": sum(1 for c in containers if c.status == "stopped")}


def config(c: Container) -> dict[str, Any]:
    meta = c.row.meta or {}
    conf = meta.get("config") or {}
    networks = meta.get("networks") or []
    rootfs = f"{conf.get('storage_driver') or 'local'}:vm-{c.vmid}-disk-0"
    if conf.get("storage_size"):
        rootfs += f",size={conf['storage_size']}"
    return {
        "cores": c.cpu, "memory": c.memory, "swap": (conf.get("swap_bytes") or 0) // MB, "rootfs": rootfs,
        "net0": f"name=eth0,bridge={networks[0] if networks else conf.get('network_mode') or 'none'},"
                f"ip={c.ip_address or 'dhcp'}",
        "onboot": conf.get("restart_policy") in RESTARTS_ON_BOOT,
        "features": f"nesting={1 if conf.get('privileged') else 0}",
        "hostname": conf.get("hostname"), "image": meta.get("image"),
    }


def current(c: Container) -> dict[str, Any]:
    return {
        "status": c.status, "cpu_usage": c.cpu_usage, "memory_usage": c.memory_usage,
        "memory_total": c.memory_total, "disk_usage": c.disk_usage, "disk_total": c.disk, "uptime": c.uptime,
        "network": {"in": c.network_in, "out": c.network_out},
        "pid": (c.row.meta or {}).get("pid"), "sampled_at": c.sampled_at, "last_synced": c.row.last_synced,
    }


def detail(c: Container) -> dict[str, Any]:
    return {"vmid": c.vmid, "name": c.name, "status": c.status, "template": c.template, "config": config(c),
            "current": current(c), "ip_address": c.ip_address, "created_at": int(c.row.created_at.timestamp())}


def generated(found: tuple[str, int]) -> dict[str, Any]:
    name, counter = found
    return {"name": name, "counter": counter}


def search(query: str, hits: list[Hit]) -> dict[str, Any]:
    return {"query": query, "results": [asdict(h) for h in hits], "total": len(hits)}


def node_info(host: Host) -> dict[str, Any]:
    return {"node_name": host.name, "version": host.version, "uptime": host.uptime, "cpu_cores": host.cpu_cores,
            "total_memory": host.memory_total, "proxicloud_version": __version__, "engine": host.engine}


def dashboard_summary(s: Summary) -> dict[str, Any]:
    host = s.host
    return {
        "containers": s.counts,
        "resources": {
            "cpu": {"used": s.cpu_used, "total": host.cpu_cores},
            "memory": {"used": s.memory_used, "total": host.memory_total, "percent": s.memory_percent},
            "storage": {"used": host.storage_used, "total": host.storage_total, "percent": s.storage_percent},
        },
        "node": {"name": host.name, "version": host.version, "uptime": host.uptime, "cpu_cores": host.cpu_cores,
                 "load_average": host.load_average},
        "recent_activity": [{"timestamp": a.at, "action": a.action, "vmid": a.vmid, "name": a.name,
                             "details": a.details} for a in s.activity],
    }
