"""Seed 003 Volumes: /volumes, /volumes/{id}."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import Field

from cloudfold.api.errors import responses
from cloudfold.api.faces.localcloud_common import NAME, Body, Deleted, ObjectOut, base, cloud, deleted
from cloudfold.db.models import CloudObject
from cloudfold.domain.localcloud import volumes
from cloudfold.domain.localcloud.core import Cloud

router = APIRouter(prefix="/volumes", tags=["volumes"], responses=responses(401, 403, 429))


class VolumeIn(Body):
    name: str = NAME
    size_gb: int = Field(ge=1, le=16384)


class VolumeOut(ObjectOut):
    size_gb: int
    attached_to: list[str] = Field(description="Ids of the instances that mount it")


def out(obj: CloudObject, attached: list[CloudObject]) -> VolumeOut:
    return VolumeOut(**{**base(obj), "status": volumes.state(attached)}, size_gb=obj.spec["size_gb"],
                     attached_to=[i.id for i in attached])


@router.get("", response_model=list[VolumeOut], summary="List your volumes")
def list_volumes(c: Cloud = Depends(cloud("read"))):
    attached = volumes.attachments(c, c.principal.user_id)
    return [out(v, attached.get(v.id, [])) for v in volumes.list_mine(c)]


@router.post("", status_code=201, response_model=VolumeOut, summary="Create a volume",
             responses=responses(409, 422, 502, 503))
def create_volume(body: VolumeIn, c: Cloud = Depends(cloud("write"))):
    return out(volumes.create(c, body.name, body.size_gb), [])


@router.get("/{volume_id}", response_model=VolumeOut, summary="One volume", responses=responses(404))
def get_volume(volume_id: str, c: Cloud = Depends(cloud("read"))):
    volume = volumes.get(c, volume_id)
    return out(volume, volumes.users(c, volume))


@router.delete("/{volume_id}", response_model=Deleted, summary="Delete a volume no instance uses",
               responses=responses(404, 409, 502, 503))
def delete_volume(volume_id: str, c: Cloud = Depends(cloud("write"))):
    return deleted(volumes.delete(c, volume_id))
