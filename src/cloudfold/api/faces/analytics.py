"""Seed 004 analytics: `GET /api/analytics/{vmid}/cpu|memory|network|disk|summary`.

History comes from `domain/metrics/series` (the coarsest series that gives the interval,
≤ 1,500 points); ownership as for the containers (another user's vmid is a 404). Answers
carry the example's fields at the top level plus `success`, as the other seed 004
reads do, except `data`: here the document's examples give it the series' points, so the answer
is the example's object plus `success: true`. A bad `range`/`interval` is a 400, an unknown
vmid a 404.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, create_model
from sqlalchemy.orm import Session

from cloudfold.api.deps import get_session, require
from cloudfold.api.errors import responses
from cloudfold.api.faces import analytics_schemas as shapes
from cloudfold.api.params import VmId
from cloudfold.domain.context import Principal
from cloudfold.domain.metrics import series

router = APIRouter(prefix="/api/analytics", tags=["analytics"], responses=responses(400, 401, 403, 404, 429))

RANGE = Query("1h", max_length=8, description="Time range: 1h, 24h, 7d, 30d")
INTERVAL = Query(None, max_length=8, description="Data point interval: 30s, 1m, 5m, 1h (default: auto, "
                                                 "the finest giving at most 1,500 points)")


def _answer(model: type[BaseModel], payload: dict[str, Any]) -> JSONResponse:
    body = model.model_validate(payload).model_dump(mode="json", by_alias=True)
    return JSONResponse({**body, "success": True})


def answered(model: type[BaseModel]) -> type[BaseModel]:
    return create_model(f"{model.__name__}Answer", __base__=model, success=(bool, True))


def _series_route(model: type[BaseModel], shape: Callable[[series.History], dict[str, Any]]):
    def read(vmid: VmId, range: str = RANGE, interval: str | None = INTERVAL,
             session: Session = Depends(get_session), principal: Principal = Depends(require("read"))):
        return _answer(model, shape(series.history(session, principal, vmid, range, interval)))

    return read


for _metric, _model, _shape, _summary in (("cpu", shapes.CpuSeries, shapes.cpu, "CPU history"),
                                          ("memory", shapes.MemorySeries, shapes.memory, "Memory history"),
                                          ("network", shapes.NetworkSeries, shapes.network, "Network throughput history"),
                                          ("disk", shapes.DiskSeries, shapes.disk, "Disk I/O history")):
    router.add_api_route(f"/{{vmid}}/{_metric}", _series_route(_model, _shape), methods=["GET"],
                         response_model=answered(_model), summary=_summary, name=f"analytics_{_metric}")


@router.get("/{vmid}/summary", response_model=answered(shapes.Summary), summary="All metrics of a container")
def summary(vmid: VmId, range: str = RANGE,
            session: Session = Depends(get_session), principal: Principal = Depends(require("read"))):
    return _answer(shapes.Summary, shapes.summary(series.history(session, principal, vmid, range, None)))
