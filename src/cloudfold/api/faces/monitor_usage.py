"""Seed 000 monitor usage views: `GET /monitor/vms` (hosts with resource usage),
`GET /monitor/containers` (ContainerStatus by VM) and `GET /monitor/service-breakdown`
(each service's share of its VM). Figures from the latest metric samples
(`domain/metrics/views`); camelCase as seed 000 shows (`vmId`, `memoryMb`)."""

from __future__ import annotations

from datetime import datetime, timezone

from fastapi import APIRouter, Depends
from pydantic import Field
from sqlalchemy.orm import Session

from cloudfold.api.deps import get_session, require
from cloudfold.api.errors import responses
from cloudfold.api.faces.service_schemas import Camel, HostRef, host_ref
from cloudfold.domain.context import Principal
from cloudfold.domain.metrics import views

router = APIRouter(prefix="/monitor", tags=["monitor"], responses=responses(401, 403, 429))


class Usage(Camel):
    cpu_percent: float | None = Field(description="CPU in use, 100 = one core busy; null when never sampled")
    memory_mb: float | None = Field(description="Memory in use, MB; null when never sampled")
    sampled_at: str | None = Field(description="When the newest figure was sampled")


class VmUsage(HostRef, Usage):
    status: str
    containers_running: int
    containers_total: int


class VmOverview(Camel):
    vms: list[VmUsage]
    total: int
    generated_at: datetime


class ContainerStatus(Camel):
    id: int = Field(description="Inventory id")
    name: str
    running: bool
    restarts: int
    memory_mb: float | None
    cpu_percent: float | None


class VmContainers(HostRef):
    containers: list[ContainerStatus]


class ContainersByVm(Camel):
    vms: list[VmContainers]
    total: int


class ServiceUse(Usage):
    id: str | None = Field(description="The service id (<host>:<name>); null for containers in no service")
    name: str
    running: int
    total: int
    cpu_share: float | None = Field(description="Percent of the VM's CPU in use that this service uses")
    memory_share: float | None = Field(description="Percent of the VM's memory in use that this service uses")


class VmBreakdown(HostRef, Usage):
    services: list[ServiceUse]


class ServiceBreakdown(Camel):
    vms: list[VmBreakdown]


def _use(u: views.Use) -> dict:
    return {"cpu_percent": u.cpu_percent, "memory_mb": u.memory_mb, "sampled_at": u.sampled_at}


def _share(part: float | None, whole: float | None) -> float | None:
    return round(part / whole * 100, 2) if part is not None and whole else None


@router.get("/vms", response_model=VmOverview, summary="VM overview with resource usage")
def monitor_vms(session: Session = Depends(get_session), principal: Principal = Depends(require("read"))):
    found = views.hosts(session, principal)
    vms = [VmUsage(**host_ref(h.node.host), **_use(h.use), status=h.node.status, containers_running=h.running,
                   containers_total=h.total) for h in found]
    return VmOverview(vms=vms, total=len(vms), generated_at=datetime.now(timezone.utc))


@router.get("/containers", response_model=ContainersByVm, summary="Container status by VM")
def monitor_containers(session: Session = Depends(get_session), principal: Principal = Depends(require("read"))):
    vms = [VmContainers(**host_ref(h.node.host), containers=[
        ContainerStatus(id=c.resource.id, name=c.resource.name, running=c.running,
                        restarts=int(c.meta.get("restart_count") or 0), memory_mb=c.memory_mb,
                        cpu_percent=c.cpu_percent) for c in h.node.containers])
        for h in views.hosts(session, principal)]
    return ContainersByVm(vms=vms, total=sum(len(v.containers) for v in vms))


@router.get("/service-breakdown", response_model=ServiceBreakdown, summary="Service resource breakdown by VM")
def service_breakdown(session: Session = Depends(get_session), principal: Principal = Depends(require("read"))):
    out = []
    for h in views.hosts(session, principal):
        parts = [(s.id, s.name, s.running, s.total, u) for s, u in h.services]
        if h.unassigned is not None:
            loose = [c for c in h.node.containers if c.service_id is None]
            parts.append((None, "(no service)", sum(c.running for c in loose), len(loose), h.unassigned))
        services = [ServiceUse(id=sid, name=name, running=running, total=total, **_use(u),
                               cpu_share=_share(u.cpu_percent, h.use.cpu_percent),
                               memory_share=_share(u.memory_mb, h.use.memory_mb))
                    for sid, name, running, total, u in parts]
        out.append(VmBreakdown(**host_ref(h.node.host), **_use(h.use), services=services))
    return ServiceBreakdown(vms=out)
