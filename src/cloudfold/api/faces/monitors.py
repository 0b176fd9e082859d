"""cloudfold's monitor API (issue 10): /api/monitors — HTTP(S), TCP, ping, SSH and DNS probes
of a target on an interval, their check history and uptime. Rules in `domain/monitors`."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy.orm import Session

from cloudfold.api.deps import context, get_runtime, get_session, require
from cloudfold.api.errors import responses
from cloudfold.api.faces.monitor_schemas import (
    CheckOut,
    ChecksOut,
    MonitorIn,
    MonitorOut,
    MonitorPage,
    MonitorPatch,
    UptimeOut,
    UptimeReport,
)
from cloudfold.api.params import Skip
from cloudfold.domain.context import Principal
from cloudfold.domain.monitors import service
from cloudfold.runtime import Runtime

router = APIRouter(prefix="/api/monitors", tags=["monitors"], responses=responses(401, 403, 422, 429))
ID_ERRORS = responses(400, 404)


def _out(monitor, uptime=None) -> MonitorOut:
    out = MonitorOut.model_validate(monitor, from_attributes=True)
    if uptime is not None:
        out.uptime = {k: UptimeOut(**asdict(v)) for k, v in uptime.items()}
    return out


@router.get("", response_model=MonitorPage, summary="Monitors the caller may see", responses=responses(400))
def list_monitors(kind: str | None = None, state: str | None = None, auto: bool | None = None,
                  limit: int = Query(100, ge=1, le=1000), offset: Skip = 0,
                  session: Session = Depends(get_session), p: Principal = Depends(require("read"))) -> MonitorPage:
    rows, total = service.listing(session, p, kind=kind, state=state, auto=auto, limit=limit, offset=offset)
    return MonitorPage(monitors=[_out(m) for m in rows], total=total, limit=limit, offset=offset)


@router.post("", response_model=MonitorOut, status_code=201, summary="Add a monitor (counts toward the monitors quota)",
             responses=responses(400))
def create_monitor(body: MonitorIn, request: Request, session: Session = Depends(get_session),
                   runtime: Runtime = Depends(get_runtime), p: Principal = Depends(require("write"))) -> MonitorOut:
    monitor = service.create(session, context(request, p), runtime.settings, body.model_dump())
    return _out(monitor)


@router.get("/{monitor_id}", response_model=MonitorOut, summary="One monitor, with uptime over 24h/7d/30d",
            responses=ID_ERRORS)
def get_monitor(monitor_id: str, session: Session = Depends(get_session),
                p: Principal = Depends(require("read"))) -> MonitorOut:
    monitor = service.get(session, p, monitor_id)
    return _out(monitor, service.uptime(session, [monitor.id])[monitor.id])


@router.patch("/{monitor_id}", response_model=MonitorOut, summary="Change a monitor (auto monitors: timing only)",
              responses=ID_ERRORS)
def update_monitor(monitor_id: str, body: MonitorPatch, request: Request, session: Session = Depends(get_session),
                   runtime: Runtime = Depends(get_runtime), p: Principal = Depends(require("write"))) -> MonitorOut:
    changes = body.model_dump(exclude_unset=True)
    monitor = service.update(session, context(request, p), runtime.settings, monitor_id, changes)
    return _out(monitor)


@router.delete("/{monitor_id}", status_code=204, summary="Delete a monitor and its history",
               responses=responses(400, 404, 409))
def delete_monitor(monitor_id: str, request: Request, session: Session = Depends(get_session),
                   p: Principal = Depends(require("write"))) -> Response:
    service.remove(session, context(request, p), monitor_id)
    return Response(status_code=204)


@router.get("/{monitor_id}/checks", response_model=ChecksOut, summary="Check history, newest first",
            responses=ID_ERRORS)
def monitor_checks(monitor_id: str, limit: int = Query(100, ge=1, le=1000), before: datetime | None = None,
                   session: Session = Depends(get_session), p: Principal = Depends(require("read"))) -> ChecksOut:
    rows = service.checks(session, p, monitor_id, limit=limit, before=before)
    return ChecksOut(monitor_id=int(monitor_id), checks=[CheckOut.model_validate(r, from_attributes=True) for r in rows])


@router.get("/{monitor_id}/uptime", response_model=UptimeReport, summary="Uptime over 24h, 7d and 30d",
            responses=ID_ERRORS)
def monitor_uptime(monitor_id: str, session: Session = Depends(get_session),
                   p: Principal = Depends(require("read"))) -> UptimeReport:
    monitor = service.get(session, p, monitor_id)
    report = service.uptime(session, [monitor.id])[monitor.id]
    return UptimeReport(monitor_id=monitor.id, uptime={k: UptimeOut(**asdict(v)) for k, v in report.items()})
