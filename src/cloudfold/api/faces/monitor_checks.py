"""Seed 000 monitor family, probe views (issue 10, A): /monitor, /monitor/summary,
/monitor/vm-status, /monitor/endpoints, /monitor/orchestrate, POST /monitor/refresh and
POST /actions/refresh-all. Figures come from the monitors the probe engine keeps
(`domain/monitors/views.py`); a refresh is a `monitors.refresh` task."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session

from cloudfold.api.deps import context, get_runtime, get_session, require
from cloudfold.api.errors import responses
from cloudfold.api.faces.monitor_schemas import (
    EndpointList,
    EndpointStatusOut,
    MonitorOverview,
    MonitorSummary,
    OrchestratorList,
    OrchestratorOut,
    RefreshStarted,
    VmStatusList,
    VmStatusOut,
)
from cloudfold.domain import audit
from cloudfold.domain.context import Principal
from cloudfold.domain.monitors import views
from cloudfold.runtime import Runtime

router = APIRouter(prefix="/monitor", tags=["monitor"], responses=responses(401, 403, 429))
actions_router = APIRouter(prefix="/actions", tags=["actions"], responses=responses(401, 403, 429))


def _vm(v: views.VmRow) -> VmStatusOut:
    return VmStatusOut(vmId=str(v.resource_id), name=v.name, ip=v.ip, pingable=v.pingable, sshable=v.sshable,
                       latencyMs=v.latency_ms, lastCheck=v.last_check)


def _endpoint(e: views.EndpointRow) -> EndpointStatusOut:
    return EndpointStatusOut(url=e.url, httpCode=e.http_code, sslValid=e.ssl_valid, sslExpiry=e.ssl_expiry,
                             wakeOnDemand=e.wake_on_demand, monitorId=e.monitor_id, name=e.name, status=e.state,
                             latencyMs=e.latency_ms, lastCheck=e.last_check)


def _orchestrator(o: views.Orchestrator) -> OrchestratorOut:
    return OrchestratorOut(**{**asdict(o), "vmId": str(o.resource_id)})


@router.get("", response_model=MonitorOverview, summary="Get complete monitoring data")
def overview(session: Session = Depends(get_session), p: Principal = Depends(require("read"))) -> MonitorOverview:
    return MonitorOverview(summary=MonitorSummary(**views.summary(session, p)),
                           vmStatus=[_vm(v) for v in views.vm_status(session, p)],
                           endpoints=[_endpoint(e) for e in views.endpoints(session, p)],
                           orchestrate=[_orchestrator(o) for o in views.orchestrators(session, p)])


@router.get("/summary", response_model=MonitorSummary,
            summary="Get monitoring summary (VMs online, endpoints healthy, etc.)")
def summary(session: Session = Depends(get_session), p: Principal = Depends(require("read"))) -> MonitorSummary:
    return MonitorSummary(**views.summary(session, p))


@router.get("/vm-status", response_model=VmStatusList, summary="Get live VM status (ping, SSH, latency)")
def vm_status(session: Session = Depends(get_session), p: Principal = Depends(require("read"))) -> VmStatusList:
    vms = [_vm(v) for v in views.vm_status(session, p)]
    return VmStatusList(vms=vms, total=len(vms))


@router.get("/endpoints", response_model=EndpointList, summary="Get endpoint status (HTTP, SSL)")
def endpoints(session: Session = Depends(get_session), p: Principal = Depends(require("read"))) -> EndpointList:
    eps = [_endpoint(e) for e in views.endpoints(session, p)]
    return EndpointList(endpoints=eps, total=len(eps))


@router.get("/orchestrate", response_model=OrchestratorList,
            summary="Get Dockge instances for container management")
def orchestrate(session: Session = Depends(get_session),
                p: Principal = Depends(require("read"))) -> OrchestratorList:
    found = [_orchestrator(o) for o in views.orchestrators(session, p)]
    return OrchestratorList(instances=found, total=len(found))


def _refresh(request: Request, session: Session, runtime: Runtime, p: Principal, via: str) -> RefreshStarted:
    task_id = runtime.queue.enqueue("monitors.refresh", {"sync": True}, p.user_id)
    audit.record(session, context(request, p), "monitor.refresh", target=f"task:{task_id}", detail={"via": via})
    session.commit()
    return RefreshStarted(message="Refresh started: every monitor is probed and every account synced",
                          task_id=task_id)


@router.post("/refresh", response_model=RefreshStarted, status_code=202, summary="Trigger a full status refresh")
def refresh(request: Request, session: Session = Depends(get_session), runtime: Runtime = Depends(get_runtime),
            p: Principal = Depends(require("admin"))) -> RefreshStarted:
    return _refresh(request, session, runtime, p, "POST /monitor/refresh")


@actions_router.post("/refresh-all", response_model=RefreshStarted, status_code=202,
                     summary="Refresh all monitoring data (VMs, endpoints, containers)")
def refresh_all(request: Request, session: Session = Depends(get_session), runtime: Runtime = Depends(get_runtime),
                p: Principal = Depends(require("admin"))) -> RefreshStarted:
    return _refresh(request, session, runtime, p, "POST /actions/refresh-all")
