"""Seed 000's usage views (`/monitor/vms`, `/monitor/containers`, `/monitor/service-breakdown`)
over the topology's hosts, with the figures of the latest samples: the sampler keeps each
machine's newest sample in `resources.usage` (`store.ingest`), which `domain/usage` reads, so
these views, seed 004's container figures and `/api/analytics` agree."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from cloudfold.db.models import Resource
from cloudfold.domain import topology, usage
from cloudfold.domain.context import Principal
from cloudfold.domain.services import ContainerView, Service
from cloudfold.domain.topology import HostNode


@dataclass
class Use:
    cpu_percent: float | None  # 100 = one core busy; summed over what it holds
    memory_mb: float | None
    sampled_at: str | None  # the newest sample among them

    @classmethod
    def of(cls, containers: list[ContainerView]) -> Use:
        cpus = [c.cpu_percent for c in containers if c.cpu_percent is not None]
        mems = [c.memory_mb for c in containers if c.memory_mb is not None]
        times = [t for t in (usage.sample(c.resource).get("at") for c in containers) if t]
        return cls(round(sum(cpus), 2) if cpus else None, round(sum(mems), 2) if mems else None,
                   max(times) if times else None)


@dataclass
class HostUse:
    node: HostNode
    use: Use
    running: int
    total: int
    services: list[tuple[Service, Use]] = field(default_factory=list)
    unassigned: Use | None = None  # containers in no service


def _machine_use(session: Session, node: HostNode) -> Use:
    """A vm host's own figures (its sample), else the sum of its containers'."""
    row = session.get(Resource, node.resource_id) if node.host.kind == "vm" and node.resource_id else None
    if row is None or node.containers:
        return Use.of(node.containers)
    used = usage.memory_used(row)
    return Use(usage.cpu_percent(row), round(used / 2**20, 2) if used is not None else None,
               usage.sample(row).get("at"))


def hosts(session: Session, viewer: Principal) -> list[HostUse]:
    """Every host the viewer may see, with its machines' latest figures."""
    out = []
    for node in topology.build(session, viewer).hosts:
        loose = [c for c in node.containers if c.service_id is None]
        out.append(HostUse(node=node, use=_machine_use(session, node), running=sum(c.running for c in node.containers),
                           total=len(node.containers), services=[(s, Use.of(s.containers)) for s in node.services],
                           unassigned=Use.of(loose) if loose else None))
    return out
