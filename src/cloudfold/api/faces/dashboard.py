"""Seed 002 dashboard: /dashboard/stats and /dashboard/sync/trigger."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from sqlalchemy.orm import Session

from cloudfold.api.deps import get_runtime, get_session, require
from cloudfold.api.errors import responses
from cloudfold.api.faces.dashboard_schemas import DashboardStats, shape
from cloudfold.domain import dashboard, sync
from cloudfold.domain.context import Principal
from cloudfold.runtime import Runtime

router = APIRouter(prefix="/dashboard", tags=["dashboard"], responses=responses(401, 403, 429))


class SyncTriggered(BaseModel):
    message: str
    task_id: str


@router.get("/stats", response_model=DashboardStats, summary="Dashboard statistics from the inventory")
def stats(session: Session = Depends(get_session), p: Principal = Depends(require("read"))):
    return shape(dashboard.stats(session, p))


@router.post("/sync/trigger", response_model=SyncTriggered, summary="Sync every provider account now")
def trigger(runtime: Runtime = Depends(get_runtime), p: Principal = Depends(require("write"))):
    task_id = sync.request_sync_all(runtime.queue, p)
    return SyncTriggered(message="Sync triggered successfully", task_id=task_id)
