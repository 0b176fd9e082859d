"""Shapes of seed 000's serviceControl and topology faces (camelCase, as seed 000 shows
`vmId`, `latencyMs`, `memoryMb`), and their construction from the domain's views."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from cloudfold.domain import topology
from cloudfold.domain.services import ContainerView, Host, Service
from cloudfold.domain.topology import HostNode, NetworkNode, Topology


class Camel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class Mount(Camel):
    type: str | None = Field(description="volume | bind | tmpfs")
    name: str | None = Field(description="The volume's name (volume mounts)")
    source: str | None
    destination: str | None
    rw: bool


class ContainerNode(Camel):
    """A container: seed 000's ContainerStatus (name, running, restarts, memoryMb, cpuPercent)
    and what the inventory knows of it."""

    id: int = Field(description="Inventory id (also /vms/{vmId} and /api/resources/{id})")
    container_id: str = Field(description="The engine's container id")
    name: str
    running: bool
    status: str = Field(description="running | stopped | paused | pending | error | …")
    health: str | None = Field(description="The container's healthcheck verdict (healthy | unhealthy | starting), "
                                            "null without a healthcheck")
    restarts: int
    memory_mb: float | None = Field(description="Memory in use, when a sample is known; null otherwise")
    cpu_percent: float | None = Field(description="CPU use, when a sample is known; null otherwise")
    image: str | None
    service: str | None = Field(description="Id of the service it belongs to, null for none")
    component: str = Field(description="Its part of the service: the compose service name, else the container name")
    vm_id: str = Field(description="The host it runs on")
    networks: list[str]
    ip: str | None
    ip_addresses: dict[str, str] = Field(description="Network name -> address")
    ports: list[str] = Field(description="Published ports, hostIp:hostPort->port/proto")
    mounts: list[Mount]
    database: str | None = Field(description="The database engine it runs (postgres, mysql, redis, …), or null")
    last_synced: datetime | None


class ServiceSummary(Camel):
    id: str = Field(description="<host>:<name>; a bare name works where it is unambiguous")
    name: str
    type: str = Field(description="Label cloudfold.service-type, else database | web | worker")
    source: str = Field(description="compose (com.docker.compose.project) or label (cloudfold.service)")
    vm_id: str
    status: str = Field(description="healthy (all up) | degraded (some) | down (none running)")
    running: int
    total: int


class HostRef(Camel):
    vm_id: str
    kind: str = Field(description="engine | node | account | vm")
    name: str
    provider: str
    provider_id: str | None = Field(description="The account's slug")


class VmNode(HostRef):
    status: str = Field(description="A vm's state; for a host, its account's health")
    region: str | None
    ip: str | None
    resource_id: int | None = Field(description="Inventory id, for vm resources")
    instance_type: str | None
    containers: int
    containers_running: int
    services: int
    databases: int


class VmList(Camel):
    vms: list[VmNode]
    total: int


class VmServices(HostRef):
    services: list[ServiceSummary]


class ServicesByVm(Camel):
    vms: list[VmServices]
    total: int = Field(description="Number of services")


class ServiceType(Camel):
    type: str
    count: int
    services: list[ServiceSummary]


class ServiceTypes(Camel):
    types: list[ServiceType]
    total: int = Field(description="Number of services")


class VmContainers(HostRef):
    containers: list[ContainerNode]


class ContainersByVm(Camel):
    vms: list[VmContainers]
    total: int = Field(description="Number of containers")


class VmDatabases(HostRef):
    databases: list[ContainerNode]


class DatabasesByVm(Camel):
    vms: list[VmDatabases]
    total: int = Field(description="Number of database containers")


class NetworkOut(Camel):
    id: int = Field(description="Inventory id")
    network_id: str
    name: str
    vm_id: str
    provider: str
    driver: str | None
    subnet: str | None
    gateway: str | None
    internal: bool
    containers: list[str] = Field(description="Names of the containers attached")


class NetworkList(Camel):
    networks: list[NetworkOut]
    total: int


class CountRunning(Camel):
    total: int
    running: int


class VmCount(CountRunning):
    vm_id: str


class ContainerSummary(Camel):
    total: int
    running: int
    stopped: int
    images: int = Field(description="Distinct images in use")
    by_vm: list[VmCount]


class HealthSummary(Camel):
    total: int
    healthy: int
    degraded: int
    down: int


class DatabaseSummary(Camel):
    total: int
    by_engine: dict[str, int]


class Total(Camel):
    total: int


class StorageSummary(Camel):
    volumes: int
    volumes_in_use: int = Field(description="Mounted by a container or attached to a vm")
    volume_size_gb: float = Field(description="Sum of the sizes the providers report (engine volumes report none)")
    buckets: int


class Summaries(Camel):
    vms: CountRunning
    containers: ContainerSummary
    services: HealthSummary
    databases: DatabaseSummary
    networks: Total
    storage: StorageSummary


class TopologyOut(Camel):
    vms: list[VmNode]
    services: list[ServiceSummary]
    containers: list[ContainerNode]
    databases: list[ContainerNode]
    networks: list[NetworkOut]
    summaries: Summaries
    generated_at: datetime


# -- building ----------------------------------------------------------------------
def container_node(c: ContainerView) -> ContainerNode:
    meta, row = c.meta, c.resource
    return ContainerNode(
        id=row.id, container_id=row.external_id, name=row.name, running=c.running, status=row.status,
        health=meta.get("health"), restarts=int(meta.get("restart_count") or 0),
        memory_mb=c.memory_mb, cpu_percent=c.cpu_percent,
        image=meta.get("image"),
        service=c.service_id, component=c.component, vm_id=c.host.vm_id,
        networks=list(meta.get("networks") or []), ip=meta.get("private_ip"),
        ip_addresses=dict(meta.get("ip_addresses") or {}), ports=list(meta.get("ports") or []),
        mounts=[Mount(**m) for m in meta.get("mounts") or []], database=c.database, last_synced=row.last_synced)


def service_summary(s: Service) -> ServiceSummary:
    return ServiceSummary(id=s.id, name=s.name, type=s.type, source=s.source, vm_id=s.host.vm_id, status=s.health,
                          running=s.running, total=s.total)


def host_ref(h: Host) -> dict:
    return {"vm_id": h.vm_id, "kind": h.kind, "name": h.name, "provider": h.provider, "provider_id": h.provider_id}


def vm_node(h: HostNode) -> VmNode:
    return VmNode(**host_ref(h.host), status=h.status, region=h.region, ip=h.ip, resource_id=h.resource_id,
                  instance_type=h.instance_type, containers=len(h.containers),
                  containers_running=sum(c.running for c in h.containers), services=len(h.services),
                  databases=len(h.databases))


def network_out(n: NetworkNode) -> NetworkOut:
    meta = n.resource.meta or {}
    return NetworkOut(id=n.resource.id, network_id=n.resource.external_id, name=n.resource.name, vm_id=n.host.vm_id,
                      provider=n.resource.provider, driver=meta.get("driver"), subnet=meta.get("cidr_block"),
                      gateway=meta.get("gateway"), internal=bool(meta.get("internal")),
                      containers=[c.resource.name for c in n.containers])


def summaries_of(t: Topology) -> Summaries:
    """Counts over a topology: containers, services by health, databases by engine, storage."""
    running = sum(c.running for c in t.containers)
    health = Counter(s.health for s in t.services)
    return Summaries(
        vms=CountRunning(total=len(t.hosts), running=sum(h.status in ("running", "healthy") for h in t.hosts)),
        containers=ContainerSummary(
            total=len(t.containers), running=running, stopped=len(t.containers) - running,
            images=len({c.meta.get("image") for c in t.containers if c.meta.get("image")}),
            by_vm=[VmCount(vm_id=h.vm_id, total=len(h.containers), running=sum(c.running for c in h.containers))
                   for h in t.hosts if h.containers]),
        services=HealthSummary(total=len(t.services), healthy=health["healthy"], degraded=health["degraded"],
                               down=health["down"]),
        databases=DatabaseSummary(total=len(t.databases), by_engine=dict(Counter(c.database for c in t.databases))),
        networks=Total(total=len(t.networks)),
        storage=StorageSummary(volumes=len(t.volumes), volumes_in_use=len(topology.volumes_in_use(t)),
                               volume_size_gb=topology.volume_size_gb(t), buckets=len(t.buckets)))
