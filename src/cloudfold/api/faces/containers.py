"""Seed 004 (ProxiCloud) containers: actions, status and delete by numeric vmid.

Actions return at once with a task id (seed 004's UPID-like `task_id`); the task runs the
same action path as every other face. Machine control needs the admin scope (seed 000).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from cloudfold.api.deps import actions_limit, context, get_runtime, get_session, require
from cloudfold.api.errors import responses
from cloudfold.api.params import VmId
from cloudfold.domain import actions, inventory, proxicloud
from cloudfold.domain.context import Principal
from cloudfold.runtime import Runtime

router = APIRouter(prefix="/api/containers", tags=["containers"], responses=responses(401, 403, 404, 429))
PENDING_STATUS = {"start": "starting", "stop": "stopping", "reboot": "rebooting", "terminate": "deleted"}


class ContainerTask(BaseModel):
    success: bool = True
    vmid: int
    status: str
    task_id: str


class ContainerStatus(BaseModel):
    vmid: int
    status: str
    uptime: int
    pid: int | None


def _enqueue(request: Request, session: Session, runtime: Runtime, p: Principal, vmid: int, action: str,
             options: dict | None = None) -> ContainerTask:
    row = inventory.by_vmid(session, p, vmid)
    via = f"{request.method} /api/containers/{{vmid}}" + ("" if action == "terminate" else f"/{action}")
    task_id = actions.enqueue(session, context(request, p), runtime.queue, row, action, via, options)
    return ContainerTask(vmid=vmid, status=PENDING_STATUS[action], task_id=task_id)


@router.post("/{vmid}/start", response_model=ContainerTask, summary="Start a stopped container",
             dependencies=[Depends(actions_limit)], responses=responses(409, 503))
def start(request: Request, vmid: VmId, session: Session = Depends(get_session),
          runtime: Runtime = Depends(get_runtime), p: Principal = Depends(require("admin"))):
    return _enqueue(request, session, runtime, p, vmid, "start")


@router.post("/{vmid}/stop", response_model=ContainerTask, summary="Stop a running container",
             dependencies=[Depends(actions_limit)], responses=responses(409, 422, 503))
def stop(request: Request, vmid: VmId,
         force: bool = Query(False, description="Kill instead of a graceful stop"),
         timeout: int = Query(60, ge=0, le=3600, description="Seconds to wait before forcing"),
         session: Session = Depends(get_session), runtime: Runtime = Depends(get_runtime),
         p: Principal = Depends(require("admin"))):
    return _enqueue(request, session, runtime, p, vmid, "stop", {"force": force, "timeout": timeout})


@router.post("/{vmid}/reboot", response_model=ContainerTask, summary="Reboot a running container",
             dependencies=[Depends(actions_limit)], responses=responses(409, 503))
def reboot(request: Request, vmid: VmId, session: Session = Depends(get_session),
           runtime: Runtime = Depends(get_runtime), p: Principal = Depends(require("admin"))):
    return _enqueue(request, session, runtime, p, vmid, "reboot")


@router.delete("/{vmid}", response_model=ContainerTask, summary="Delete a container permanently",
               dependencies=[Depends(actions_limit)], responses=responses(409, 503))
def delete(request: Request, vmid: VmId,
           purge: bool = Query(True, description="Remove from all backups/replications"),
           session: Session = Depends(get_session), runtime: Runtime = Depends(get_runtime),
           p: Principal = Depends(require("admin"))):
    return _enqueue(request, session, runtime, p, vmid, "terminate", {"purge": purge})


@router.get("/{vmid}/status", response_model=ContainerStatus, summary="Current status of a container",
            responses=responses(502, 503))
async def status(vmid: VmId, runtime: Runtime = Depends(get_runtime),
                 p: Principal = Depends(require("read"))):
    def live():
        with runtime.sessions() as session:
            row = inventory.by_vmid(session, p, vmid)
            return actions.refresh(session, runtime.events, runtime.secretbox, runtime.settings, row)

    row = await run_in_threadpool(live)
    return ContainerStatus(vmid=vmid, status=row.status, uptime=proxicloud.uptime(row), pid=(row.meta or {}).get("pid"))
