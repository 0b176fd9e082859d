"""Seed 004 (ProxiCloud) containers: create, actions, status and delete by numeric vmid.

Actions return at once with a task id (seed 004's UPID-like `task_id`); the task runs the
same action path as every other face. Machine control needs the admin scope (seed 000).
"""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from cloudfold.api.deps import actions_limit, context, get_runtime, get_session, require
from cloudfold.api.errors import responses
from cloudfold.api.faces.localcloud_common import cloud
from cloudfold.api.params import VmId
from cloudfold.domain import actions, inventory, proxicloud
from cloudfold.domain.context import Principal
from cloudfold.domain.inputs import FreeForm, PlainText
from cloudfold.domain.localcloud import containers
from cloudfold.domain.localcloud.core import Cloud
from cloudfold.runtime import Runtime

router = APIRouter(prefix="/api/containers", tags=["containers"], responses=responses(401, 403, 404, 429))
PENDING_STATUS = {"start": "starting", "stop": "stopping", "reboot": "rebooting", "terminate": "deleted"}


class ContainerTask(BaseModel):
    success: bool = True
    vmid: int
    status: str
    task_id: str


class ContainerIn(BaseModel):
    """Seed 004's "Create Container" body; how each field maps is in domain/localcloud/containers.py."""

    model_config = ConfigDict(extra="forbid")

    hostname: PlainText | None = Field(None, max_length=255, description="Container hostname (default: generated)")
    template: str = Field(min_length=1, max_length=100, description="OS template ID (GET /api/templates)")
    cores: int = Field(2, description="CPU cores")
    memory: int = Field(1024, description="RAM in MB")
    swap: int = Field(512, description="Swap in MB")
    rootfs: int | str = Field(9, description="Root disk size in GB, or 'storage:size' (recorded, not enforced)")
    storage: PlainText = Field("local-lvm", max_length=64, description="Storage pool")
    network: FreeForm | PlainText | None = Field(
        None, description="{bridge, ip, ip6} or 'name=eth0,bridge=vmbr0,ip=dhcp'")
    password: str | None = Field(None, description="Refused: no plain password is stored; use ssh_keys")
    ssh_keys: list[str] | str | None = Field(None, description="SSH public keys for root")
    start: bool = Field(False, description="Start after creation")
    onboot: bool = Field(True, description="Start on host boot (restart policy unless-stopped)")
    unprivileged: bool = Field(True, description="Only true is offered")
    features: FreeForm | PlainText | None = Field(None, description="Recorded when all off; any turned on is refused")


class ContainerCreated(BaseModel):
    success: bool = True
    vmid: int
    name: str
    task_id: str
    status: str


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


@router.post("", status_code=201, response_model=ContainerCreated, summary="Create a container",
             dependencies=[Depends(actions_limit)], responses=responses(400, 409, 422, 502, 503))
def create(body: ContainerIn, runtime: Runtime = Depends(get_runtime), c: Cloud = Depends(cloud("admin"))):
    req = containers.CreateRequest(**body.model_dump(exclude_none=True))
    return ContainerCreated(**asdict(containers.create(c, runtime.queue, req)))


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
