"""Seed 000 serviceControl: /services/{serviceId}/health|containers|restart|logs.

{serviceId} is `<host>:<name>` (as the topology lists it, e.g. `local:shop`) or a bare name
that names one service the caller can see. See domain/services.py for what a service is.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import Field
from sqlalchemy.orm import Session

from cloudfold.api.deps import actions_limit, context, get_runtime, get_session, require
from cloudfold.api.errors import responses
from cloudfold.api.faces.service_schemas import Camel, ContainerNode, ServiceSummary, container_node, service_summary
from cloudfold.db.base import utcnow
from cloudfold.domain import services
from cloudfold.domain.context import Principal
from cloudfold.runtime import Runtime

router = APIRouter(prefix="/services", tags=["serviceControl"], responses=responses(400, 401, 403, 404, 429))
ServiceId = Annotated[str, Path(min_length=1, max_length=400, description="<host>:<name>, or a bare service name")]
MAX_TAIL = 5000


class ServiceHealth(ServiceSummary):
    containers: list[ContainerNode]
    checked_at: datetime


class ServiceContainers(Camel):
    service_id: str
    name: str
    containers: list[ContainerNode]
    total: int


class ContainerRestart(Camel):
    id: int
    name: str
    action: str = Field(description="reboot (it was running) or start (it was not)")
    previous_status: str
    status: str
    success: bool
    message: str


class ServiceRestart(Camel):
    success: bool = Field(description="true when every container restarted")
    service_id: str
    action: str = "restart"
    restarted: int
    failed: int
    containers: list[ContainerRestart]
    status: str = Field(description="The service's health afterwards")


class LogLineOut(Camel):
    time: datetime | None
    message: str


class ContainerLogsOut(Camel):
    id: int
    name: str
    component: str
    lines: list[LogLineOut]
    error: str | None = Field(None, description="Why no lines could be read (provider without logs, container gone)")


class ServiceLogs(Camel):
    service_id: str
    tail: int
    containers: list[ContainerLogsOut]


def _health(svc: services.Service) -> ServiceHealth:
    return ServiceHealth(**service_summary(svc).model_dump(),
                         containers=[container_node(c) for c in svc.containers], checked_at=utcnow())


@router.get("/{serviceId}/health", response_model=ServiceHealth, summary="Check service health",
            responses=responses(502, 503))
def health(serviceId: ServiceId, session: Session = Depends(get_session), runtime: Runtime = Depends(get_runtime),
           p: Principal = Depends(require("read"))):
    """Each container's state is read from its provider now: healthy when all run (and pass
    their healthchecks), degraded when some do, down when none run."""
    return _health(services.live(session, p, runtime.events, runtime.secretbox, runtime.settings, serviceId))


@router.get("/{serviceId}/containers", response_model=ServiceContainers, summary="List containers for a service")
def containers(serviceId: ServiceId, session: Session = Depends(get_session), p: Principal = Depends(require("read"))):
    svc = services.get(session, p, serviceId)
    return ServiceContainers(service_id=svc.id, name=svc.name, containers=[container_node(c) for c in svc.containers],
                             total=svc.total)


@router.post("/{serviceId}/restart", response_model=ServiceRestart, summary="Restart all containers for a service",
             dependencies=[Depends(actions_limit)], responses=responses(409, 422, 502, 503))
def restart(serviceId: ServiceId, request: Request,
            timeout: int = Query(10, ge=1, le=3600, description="Seconds each container gets to stop before it is killed"),
            session: Session = Depends(get_session), runtime: Runtime = Depends(get_runtime),
            p: Principal = Depends(require("admin"))):
    """Every container goes through the one action path (history, audit and a /ws event
    each): running ones are rebooted, the others started."""
    report = services.restart(session, context(request, p), runtime.events, runtime.secretbox,
                              runtime.settings, serviceId, timeout, via="POST /services/{serviceId}/restart")
    return ServiceRestart(
        success=not report.failed, service_id=report.service.id, restarted=report.restarted, failed=report.failed,
        status=report.service.health,
        containers=[ContainerRestart(id=r.resource.id, name=r.resource.name, action=r.action,
                                     previous_status=r.status_before, status=r.status, success=r.success,
                                     message=r.message) for r in report.results])


@router.get("/{serviceId}/logs", response_model=ServiceLogs, summary="Get recent logs for service containers",
            responses=responses(422, 503))
def logs(serviceId: ServiceId,
         tail: int = Query(100, ge=1, le=MAX_TAIL, description="Lines per container, the most recent"),
         session: Session = Depends(get_session), runtime: Runtime = Depends(get_runtime),
         p: Principal = Depends(require("read"))):
    svc, found = services.logs(session, p, runtime.secretbox, runtime.settings, serviceId, tail)
    return ServiceLogs(service_id=svc.id, tail=tail, containers=[
        ContainerLogsOut(id=c.container.resource.id, name=c.container.resource.name, component=c.container.component,
                         lines=[LogLineOut(time=line.time, message=line.message) for line in c.lines], error=c.error)
        for c in found])
