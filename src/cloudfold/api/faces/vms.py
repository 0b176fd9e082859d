"""Seed 000 vmControl: /vms/{vmId}/status|start|stop|reboot|reset.

{vmId} is an inventory id, or a provider's id or name for a machine (e.g. an EC2 instance
id or a container name) when that names exactly one machine the caller can see.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from cloudfold.api.deps import actions_limit, context, get_runtime, get_session, require
from cloudfold.api.errors import responses
from cloudfold.db.base import utcnow
from cloudfold.domain import actions, inventory, probes
from cloudfold.domain.context import Principal
from cloudfold.runtime import Runtime

router = APIRouter(prefix="/vms", tags=["vmControl"], responses=responses(401, 403, 404, 429, 502, 503))


class VmStatus(BaseModel):
    vmId: str
    id: int
    name: str
    provider: str
    providerId: str | None
    status: str
    ip: str | None
    pingable: bool
    sshable: bool
    latencyMs: int | None
    lastCheck: datetime


class VmActionOut(BaseModel):
    success: bool = True
    vmId: str
    id: int
    action: str
    previousStatus: str
    status: str
    message: str


@router.get("/{vmId}/status", response_model=VmStatus, summary="Live VM status (runtime data)",
            responses=responses(400))
async def vm_status(vmId: str, runtime: Runtime = Depends(get_runtime), p: Principal = Depends(require("read"))):
    def live_and_probe():
        with runtime.sessions() as session:
            row = inventory.by_ref(session, p, vmId)
            actions.refresh(session, runtime.events, runtime.secretbox, runtime.settings, row)
            return row, probes.probe_resource(row, p, runtime.settings)

    row, reach = await run_in_threadpool(live_and_probe)
    ip = probes.address_of(row.meta or {})
    return VmStatus(vmId=vmId, id=row.id, name=row.name, provider=row.provider,
                    providerId=row.account.slug if row.account else None, status=row.status,
                    ip=ip if isinstance(ip, str) else None,
                    pingable=reach.pingable, sshable=reach.sshable, latencyMs=reach.latency_ms, lastCheck=utcnow())


def _action(name: str, summary: str):
    def endpoint(vmId: str, request: Request, session: Session = Depends(get_session),
                 runtime: Runtime = Depends(get_runtime), p: Principal = Depends(require("admin"))):
        row = inventory.by_ref(session, p, vmId)
        out = actions.perform(session, context(request, p), runtime.events, runtime.secretbox, runtime.settings,
                              row, name, via=f"POST /vms/{{vmId}}/{name}")
        return VmActionOut(vmId=vmId, id=row.id, action=name, previousStatus=out.status_before,
                           status=out.status_after, message=out.message)

    endpoint.__name__ = f"vm_{name}"
    router.add_api_route(f"/{{vmId}}/{name}", endpoint, methods=["POST"], response_model=VmActionOut, summary=summary,
                         dependencies=[Depends(actions_limit)], responses=responses(409))


_action("start", "Start a stopped VM")
_action("stop", "Stop a running VM")
_action("reboot", "Graceful reboot")
_action("reset", "Hard reset (use with caution)")
