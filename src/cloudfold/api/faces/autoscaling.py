"""Seed 003 Auto-Scaling: /autoscaling/groups (+ /{id}, /{id}/activities). Rules live in
domain/autoscaling/; this face parses and shapes."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query

from cloudfold.api.deps import get_runtime
from cloudfold.api.errors import responses
from cloudfold.api.faces.autoscaling_schemas import (
    ActivityOut,
    GroupDeleted,
    GroupIn,
    GroupOut,
    GroupUpdate,
)
from cloudfold.api.faces.localcloud_common import cloud
from cloudfold.domain import autoscaling
from cloudfold.domain.autoscaling import activities
from cloudfold.domain.localcloud.core import Cloud
from cloudfold.runtime import Runtime

router = APIRouter(prefix="/autoscaling/groups", tags=["autoscaling"], responses=responses(401, 403, 429))


@router.get("", response_model=list[GroupOut], summary="List auto-scaling groups (yours; admins: all)")
def list_groups(c: Cloud = Depends(cloud("read"))):
    return [GroupOut.of(autoscaling.shown(c, g)) for g in autoscaling.visible(c)]


@router.post("", status_code=201, response_model=GroupOut, summary="Create an ASG",
             responses=responses(400, 404, 409, 502, 503))
def create_group(body: GroupIn, c: Cloud = Depends(cloud("write")), runtime: Runtime = Depends(get_runtime)):
    return GroupOut.of(autoscaling.shown(c, autoscaling.create(c, body.spec(), runtime.queue)))


@router.get("/{group_id}", response_model=GroupOut, summary="One auto-scaling group", responses=responses(404))
def get_group(group_id: str, c: Cloud = Depends(cloud("read"))):
    return GroupOut.of(autoscaling.shown(c, autoscaling.get(c, group_id)))


@router.put("/{group_id}", response_model=GroupOut, summary="Change an auto-scaling group (the fields given)",
            responses=responses(400, 404, 409, 502, 503))
def update_group(group_id: str, body: GroupUpdate, c: Cloud = Depends(cloud("write")),
                 runtime: Runtime = Depends(get_runtime)):
    return GroupOut.of(autoscaling.shown(c, autoscaling.update(c, group_id, body.spec(), runtime.queue)))


@router.delete("/{group_id}", response_model=GroupDeleted, responses=responses(404, 409, 502, 503),
               summary="Delete an auto-scaling group: its instances are drained and terminated, or kept")
def delete_group(group_id: str, keep_instances: bool = Query(False, description="Keep the group's instances"),
                 c: Cloud = Depends(cloud("write"))):
    status = autoscaling.delete(c, group_id, keep_instances)
    return GroupDeleted(id=group_id, status=status, keep_instances=keep_instances)


@router.get("/{group_id}/activities", response_model=list[ActivityOut], responses=responses(404),
            summary="The group's scaling activities, newest first")
def list_activities(group_id: str, limit: int = Query(100, ge=1, le=1000), c: Cloud = Depends(cloud("read"))):
    return [ActivityOut(**activities.shown(a)) for a in autoscaling.history(c, group_id, limit)]
