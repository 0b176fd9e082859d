"""Seed 004 (ProxiCloud) container reads: the list, one container, a free name, search.

The rules live in :mod:`cloudfold.domain.proxicloud`; this module parses and shapes. The
fixed paths (``generate-name``, ``search``) are declared before ``/{vmid}``.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query

from cloudfold.api.errors import responses
from cloudfold.api.faces import proxicloud_shapes as shapes
from cloudfold.api.faces.proxicloud_schemas import (
    OK,
    ContainerDetail,
    ContainerList,
    GeneratedName,
    Reader,
    SearchResults,
    enveloped,
    reader,
)
from cloudfold.api.params import VmId
from cloudfold.domain import proxicloud

router = APIRouter(prefix="/api/containers", tags=["containers"], responses=responses(401, 403, 429))
Status = Literal["running", "stopped", "paused", "pending", "error"]


@router.get("", response_model=enveloped(ContainerList), summary="List containers",
            responses={**OK, **responses(422)})
def list_containers(
    status: Status | None = Query(None, description="Filter by status"),
    sort: Literal[proxicloud.SORTS] = Query("vmid", description="Sort field"),  # type: ignore[valid-type]
    order: Literal["asc", "desc"] = Query("asc", description="Sort order"),
    r: Reader = Depends(reader),
):
    return r.answer(ContainerList, proxicloud.list_containers, status, sort, order, shape=shapes.listing)


@router.get("/generate-name", response_model=enveloped(GeneratedName), summary="A container name not in use",
            responses=OK)
def generate_name(r: Reader = Depends(reader)):
    return r.answer(GeneratedName, proxicloud.generate_name, shape=shapes.generated)


@router.get("/search", response_model=enveloped(SearchResults), summary="Search containers by name, hostname or IP",
            responses={**OK, **responses(422)})
def search(q: str = Query(..., min_length=1, max_length=200, description="Search query"), r: Reader = Depends(reader)):
    return r.answer(SearchResults, proxicloud.search, q, shape=lambda hits: shapes.search(q, hits))


@router.get("/{vmid}", response_model=enveloped(ContainerDetail), summary="Details of one container",
            responses={**OK, **responses(404, 422)})
def get_container(vmid: VmId, r: Reader = Depends(reader)):
    return r.answer(ContainerDetail, proxicloud.get_container, vmid, shape=shapes.detail)
