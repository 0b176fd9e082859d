"""Seed 000's monitor figures, read from the monitors (no probe at request time): live VM
status from the auto ping/SSH monitors, endpoint status from HTTP monitors, the summary, and
the container-management UIs running among inventory containers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloudfold.db.base import utcnow
from cloudfold.db.models import Monitor, Resource
from cloudfold.domain import policy
from cloudfold.domain.alerts import active as active_alerts
from cloudfold.domain.context import Principal
from cloudfold.domain.metrics import views as metric_views
from cloudfold.domain.monitors.ownership import visible

EXPIRING_DAYS = 14
ORCHESTRATORS = {"dockge": re.compile(r"(^|/)dockge(:|@|$)"), "portainer": re.compile(r"(^|/)portainer(-ce|-ee)?(:|@|$)")}
ORCHESTRATOR_LABEL = "cloudfold.orchestrator"  # a container saying what it is: dockge, portainer, …


@dataclass
class VmRow:
    resource_id: int
    name: str
    ip: str | None
    pingable: bool
    sshable: bool
    latency_ms: int | None
    last_check: datetime | None


@dataclass
class EndpointRow:
    monitor_id: int
    name: str
    url: str
    state: str
    http_code: int | None
    ssl_valid: bool | None  # None: not HTTPS, or certificates not checked, or not checked yet
    ssl_expiry: datetime | None
    wake_on_demand: bool
    latency_ms: float | None
    last_check: datetime | None


def vm_status(session: Session, viewer: Principal) -> list[VmRow]:
    rows = session.scalars(visible(select(Monitor), viewer).where(Monitor.resource_id.is_not(None))
                           .order_by(Monitor.resource_id)).unique()
    by_machine: dict[int, dict[str, Monitor]] = {}
    for m in rows:
        by_machine.setdefault(m.resource_id, {})[m.kind] = m
    out = []
    for rid, kinds in by_machine.items():
        ping, ssh = kinds.get("ping"), kinds.get("ssh")
        first = ping or ssh
        checked = [m.last_checked_at for m in (ping, ssh) if m is not None and m.last_checked_at]
        latency = ping.last_latency_ms if ping is not None and ping.state == "up" else None
        out.append(VmRow(rid, first.resource.name if first.resource else first.name,
                         ping.target if ping is not None else None,
                         ping is not None and ping.state == "up", ssh is not None and ssh.state == "up",
                         round(latency) if latency is not None else None, max(checked) if checked else None))
    return out


def _ssl_valid(m: Monitor) -> bool | None:
    if not m.target.lower().startswith("https:") or not (m.config or {}).get("verify_tls", True) or not m.last_checked_at:
        return None
    return not (m.last_error or "").startswith("TLS:")


def endpoints(session: Session, viewer: Principal) -> list[EndpointRow]:
    rows = session.scalars(visible(select(Monitor), viewer).where(Monitor.kind == "http").order_by(Monitor.id)).unique()
    return [EndpointRow(m.id, m.name, m.target, m.state, m.last_status_code, _ssl_valid(m), m.cert_expires_at,
                        bool((m.config or {}).get("wake_on_demand")), m.last_latency_ms, m.last_checked_at)
            for m in rows]


def summary(session: Session, viewer: Principal) -> dict:
    """Counts the caller may see: VMs online (auto ping up), endpoints healthy, monitors by state,
    certificates expiring within EXPIRING_DAYS, containers running (as /monitor/containers),
    alerts firing (as /monitor/alerts)."""
    states = dict(session.execute(visible(select(Monitor.state, func.count()), viewer)
                                  .group_by(Monitor.state)).all())
    vms = vm_status(session, viewer)
    eps = endpoints(session, viewer)
    soon = utcnow() + timedelta(days=EXPIRING_DAYS)
    hosts = metric_views.hosts(session, viewer)  # the same figures /monitor/containers shows
    firing, acknowledged = active_alerts.firing_count(session, viewer)
    return {
        "vms": {"total": len(vms), "online": sum(v.pingable for v in vms), "sshable": sum(v.sshable for v in vms)},
        "endpoints": {"total": len(eps), "healthy": sum(e.state == "up" for e in eps),
                      "down": sum(e.state == "down" for e in eps),
                      "ssl_expiring": sum(1 for e in eps if e.ssl_expiry is not None and e.ssl_expiry <= soon)},
        "monitors": {"total": sum(states.values()), "up": states.get("up", 0), "down": states.get("down", 0),
                     "pending": states.get("pending", 0)},
        "containers": {"total": sum(h.total for h in hosts), "running": sum(h.running for h in hosts)},
        "alerts": {"firing": firing, "acknowledged": acknowledged},
        "checked_at": utcnow(),
    }


@dataclass
class Orchestrator:
    kind: str
    resource_id: int
    name: str
    host: str
    image: str | None
    running: bool
    urls: list[str]


def _kind_of(meta: dict) -> str | None:
    label = ((meta.get("labels") or {}).get(ORCHESTRATOR_LABEL) or "").strip().lower()
    if label:
        return label[:40]
    image = (meta.get("image") or "").lower()
    return next((kind for kind, pattern in ORCHESTRATORS.items() if pattern.search(image)), None)


def _urls(meta: dict) -> list[str]:
    """http://host:port for each published port ("0.0.0.0:5001->5001/tcp")."""
    urls = []
    for spec in meta.get("ports") or []:
        if not isinstance(spec, str) or "->" not in spec:
            continue
        host, _, port = spec.split("->")[0].rpartition(":")
        host = "localhost" if host in ("", "0.0.0.0", "::", "[::]") else host
        urls.append(f"http://{host}:{port}")
    return urls


def orchestrators(session: Session, viewer: Principal) -> list[Orchestrator]:
    """Dockge, Portainer and the like among the inventory containers the caller may see."""
    rows = session.scalars(policy.resources(select(Resource).where(
        Resource.kind == "container", Resource.vanished.is_(False)), viewer).order_by(Resource.id)).unique()
    found = []
    for row in rows:
        meta = row.meta or {}
        kind = _kind_of(meta)
        if kind:
            host = row.account.slug if row.account is not None else "manual"
            found.append(Orchestrator(kind, row.id, row.name, host, meta.get("image"), row.status == "running",
                                      _urls(meta)))
    return found
