"""Seed 004 (ProxiCloud) node reads: /api/info and /api/dashboard/summary, from the container
engine's host (see :mod:`cloudfold.domain.proxicloud`)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from cloudfold.api.errors import responses
from cloudfold.api.faces import proxicloud_shapes as shapes
from cloudfold.api.faces.proxicloud_schemas import OK, DashboardSummary, NodeInfo, Reader, enveloped, reader
from cloudfold.domain import proxicloud

router = APIRouter(prefix="/api", tags=["node"], responses=responses(401, 403, 429))


@router.get("/info", response_model=enveloped(NodeInfo), summary="The node (container engine host)", responses=OK)
def info(r: Reader = Depends(reader)):
    return r.answer(NodeInfo, proxicloud.node_info, shape=shapes.node_info)


@router.get("/dashboard/summary", response_model=enveloped(DashboardSummary), summary="Dashboard summary (seed 004)",
            responses=OK)
def summary(r: Reader = Depends(reader)):
    return r.answer(DashboardSummary, proxicloud.dashboard_summary, shape=shapes.dashboard_summary)
