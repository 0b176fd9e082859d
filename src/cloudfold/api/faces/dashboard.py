"""Seed 002 dashboard: /dashboard/stats and /dashboard/sync/trigger."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from sqlalchemy.orm import Session

from cloudfold.api.deps import get_runtime, get_session, require
from cloudfold.api.errors import responses
from cloudfold.domain import dashboard, sync
from cloudfold.domain.context import Principal
from cloudfold.runtime import Runtime

router = APIRouter(prefix="/dashboard", tags=["dashboard"], responses=responses(401, 403, 429))


class DashboardStats(BaseModel):
    total_resources: int
    active_vms: int
    total_storage: int
    total_networks: int
    estimated_monthly_cost: float
    provider_breakdown: list[dict[str, Any]]
    cost_by_provider: list[dict[str, Any]]
    cost_by_service: list[dict[str, Any]]
    region_distribution: list[dict[str, Any]]
    provider_health: list[dict[str, Any]]
    recent_activity: list[dict[str, Any]]
    last_updated: datetime


class SyncTriggered(BaseModel):
    message: str
    task_id: str


@router.get("/stats", response_model=DashboardStats, summary="Dashboard statistics from the inventory")
def stats(session: Session = Depends(get_session), p: Principal = Depends(require("read"))):
    return dashboard.stats(session, p)


@router.post("/sync/trigger", response_model=SyncTriggered, summary="Sync every provider account now")
def trigger(runtime: Runtime = Depends(get_runtime), p: Principal = Depends(require("write"))):
    task_id = sync.request_sync_all(runtime.queue, p)
    return SyncTriggered(message="Sync triggered successfully", task_id=task_id)
