"""Topology (seed 000 /topology/*): hosts, services, containers, databases, networks and
summaries, computed from the synced inventory the caller can see.

A "VM" of the topology is where containers run or a machine of a cloud: a container engine
(a `local` account, kind `engine`), a Proxmox node (`node`), another account holding
containers (`account`), or a vm resource (`vm`, named by its inventory id as /vms/{vmId} is).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloudfold.db.base import utcnow
from cloudfold.db.models import Resource
from cloudfold.domain import accounts, inventory
from cloudfold.domain.context import Principal
from cloudfold.domain.services import ContainerView, Host, Service, account_host, group, host_of, view


@dataclass
class HostNode:
    host: Host
    status: str
    region: str | None = None
    ip: str | None = None
    resource_id: int | None = None
    instance_type: str | None = None
    containers: list[ContainerView] = field(default_factory=list)
    services: list[Service] = field(default_factory=list)

    @property
    def vm_id(self) -> str:
        return self.host.vm_id

    @property
    def databases(self) -> list[ContainerView]:
        return [c for c in self.containers if c.database]


@dataclass
class NetworkNode:
    resource: Resource
    host: Host
    containers: list[ContainerView]


@dataclass
class Topology:
    hosts: list[HostNode]
    services: list[Service]
    containers: list[ContainerView]
    networks: list[NetworkNode]
    volumes: list[Resource]
    buckets: list[Resource]
    generated_at: Any

    @property
    def databases(self) -> list[ContainerView]:
        return [c for c in self.containers if c.database]

    def by_type(self) -> list[tuple[str, list[Service]]]:
        """Services grouped by their type (database, web, worker, or the label's), by type name."""
        found: dict[str, list[Service]] = {}
        for s in self.services:
            found.setdefault(s.type, []).append(s)
        return sorted(found.items())


KINDS = ("vm", "container", "network", "volume", "storage")


def build(session: Session, viewer: Principal) -> Topology:
    stmt = inventory.scoped(session, viewer, select(Resource).where(
        Resource.kind.in_(KINDS), Resource.vanished.is_(False))).order_by(Resource.id)
    rows = list(session.scalars(stmt))
    hosts: dict[str, HostNode] = {}
    for account in accounts.list_for(session, viewer, "local"):
        host = account_host(account)
        hosts[host.vm_id] = HostNode(host, account.health_status, account.region)
    for row in rows:
        if row.kind == "vm":
            meta = row.meta or {}
            host = Host(str(row.id), "vm", row.name, row.provider, row.account.slug if row.account else None)
            hosts[host.vm_id] = HostNode(host, row.status, row.region,
                                         meta.get("public_ip") or meta.get("private_ip"), row.id,
                                         meta.get("instance_type"))
    views = [view(r) for r in rows if r.kind == "container"]
    for c in views:
        node = hosts.get(c.host.vm_id)
        if node is None:
            status = c.resource.account.health_status if c.resource.account else "unknown"
            node = hosts[c.host.vm_id] = HostNode(c.host, status, c.resource.region)
        node.containers.append(c)
    services = group(views)
    for svc in services:
        hosts[svc.host.vm_id].services.append(svc)

    networks = []
    for row in rows:
        if row.kind != "network":
            continue
        attached = [c for c in views if c.resource.account_id == row.account_id and row.name in (c.meta.get("networks") or [])]
        networks.append(NetworkNode(row, host_of(row), attached))
    return Topology(
        hosts=sorted(hosts.values(), key=lambda h: (h.host.kind != "engine", h.vm_id)),
        services=services, containers=views, networks=networks,
        volumes=[r for r in rows if r.kind == "volume"], buckets=[r for r in rows if r.kind == "storage"],
        generated_at=utcnow(),
    )


def volumes_in_use(t: Topology) -> list[Resource]:
    """Volumes mounted by a container or attached to a vm."""
    mounted = {m.get("name") for c in t.containers for m in c.meta.get("mounts") or [] if m.get("type") == "volume"}
    return [v for v in t.volumes if v.name in mounted or (v.meta or {}).get("attached_instances")]


def volume_size_gb(t: Topology) -> float:
    """The sum of the volume sizes the providers report (engine volumes report none)."""
    sizes = [(v.meta or {}).get("size_gb") for v in t.volumes]
    return float(sum(s for s in sizes if isinstance(s, (int, float))))
