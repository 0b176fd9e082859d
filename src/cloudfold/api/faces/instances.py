"""Seed 003 Compute Instances: /instances, /instances/{id}. A status change (PUT) and a
termination (DELETE) are actions on the one action path, as /vms/{id}/stop is."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from cloudfold.api.deps import actions_limit
from cloudfold.api.errors import responses
from cloudfold.api.faces.localcloud_common import INSTANCE_NAME, NAME_PATTERN, Body, ObjectOut, base, cloud
from cloudfold.db.models import CloudObject
from cloudfold.domain import inventory
from cloudfold.domain.inputs import PlainText, StrMap
from cloudfold.domain.localcloud import instances
from cloudfold.domain.localcloud.core import Cloud

router = APIRouter(prefix="/instances", tags=["instances"], responses=responses(401, 403, 429))


class Mount(Body):
    volume_id: str = Field(min_length=1, max_length=36)
    mount_path: PlainText = Field(min_length=2, max_length=255)


class InstanceIn(Body):
    name: str = INSTANCE_NAME
    image: PlainText = Field(min_length=1, max_length=255)
    vpc_id: str | None = Field(None, max_length=36)
    subnet_id: str | None = Field(None, max_length=36)
    ports: str | list[str] | None = Field(None, description='"80:80", "8080:80/tcp", or a list of them')
    volumes: list[Mount] = Field(default_factory=list, max_length=32)
    command: str | list[str] | None = None
    env: StrMap = Field(default_factory=dict)
    cpu: float | None = Field(None, gt=0, le=1024, description="CPUs (fractions allowed)")
    memory: int | None = Field(None, gt=0, description="Memory limit in MiB")
    service: str | None = Field(None, min_length=1, max_length=63, pattern=NAME_PATTERN,
                                description="The seed 000 service (GET /services/{id}) it belongs to")


class InstanceUpdate(Body):
    status: Literal["running", "stopped"]


class InstanceOut(ObjectOut):
    vmid: int = Field(description="The same machine in seed 004's /api/containers/{vmid}")
    image: str
    vpc_id: str | None
    subnet_id: str | None
    private_ip: str | None
    ports: list[str]
    volumes: list[Mount]
    command: list[str] | None
    env: dict[str, str]
    cpu: float | None
    memory: int | None
    service: str | None


def out(obj: CloudObject) -> InstanceOut:
    s = obj.spec
    return InstanceOut(**base(obj), vmid=inventory.vmid_of(obj.resource), image=s["image"], vpc_id=obj.vpc_id,
                       subnet_id=obj.subnet_id, private_ip=instances.private_ip(obj),
                       ports=[f"{h}:{p}/{proto}" for h, p, proto in s.get("ports") or []],
                       volumes=s.get("volumes") or [], command=s.get("command"), env=s.get("env") or {},
                       cpu=s.get("cpu"), memory=s.get("memory"), service=s.get("service"))


class Terminated(BaseModel):
    success: bool = True
    id: str
    status: str


@router.get("", response_model=list[InstanceOut], summary="List your instances")
def list_instances(c: Cloud = Depends(cloud("read"))):
    return [out(i) for i in instances.list_mine(c)]


@router.post("", status_code=201, response_model=InstanceOut, summary="Launch an instance",
             responses=responses(400, 404, 409, 422, 502, 503))
def launch(body: InstanceIn, c: Cloud = Depends(cloud("write"))):
    launch = instances.Launch(**{**body.model_dump(), "volumes": [m.model_dump() for m in body.volumes]})
    return out(instances.create(c, launch))


@router.get("/{instance_id}", response_model=InstanceOut, summary="One instance, its status read live",
            responses=responses(404, 502, 503))
def get_instance(instance_id: str, c: Cloud = Depends(cloud("read"))):
    return out(instances.get(c, instance_id, live=True))


@router.put("/{instance_id}", response_model=InstanceOut, summary="Change an instance's status (start/stop)",
            dependencies=[Depends(actions_limit)], responses=responses(404, 409, 422, 502, 503))
def update_instance(instance_id: str, body: InstanceUpdate, c: Cloud = Depends(cloud("write"))):
    return out(instances.set_status(c, instance_id, body.status))


@router.delete("/{instance_id}", response_model=Terminated, summary="Terminate an instance (its volumes stay)",
               dependencies=[Depends(actions_limit)], responses=responses(404, 409, 502, 503))
def terminate(instance_id: str, c: Cloud = Depends(cloud("write"))):
    obj = instances.terminate(c, instance_id)
    return Terminated(id=obj.id, status=obj.resource.status)
