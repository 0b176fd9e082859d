"""Seed 002's /dashboard/stats object, named from the domain's figures (`dashboard.Stats`)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from cloudfold.domain.dashboard import Stats


class ProviderBreakdown(BaseModel):
    provider: str
    count: int
    vms: int
    storage: int


class ProviderCost(BaseModel):
    provider: str
    cost: float


class ServiceCost(BaseModel):
    service: str
    cost: float


class RegionCount(BaseModel):
    region: str
    count: int


class ProviderHealth(BaseModel):
    provider: str
    provider_type: str
    status: str
    response_time_ms: float | None
    last_check: datetime | None
    error_message: str | None


class RecentActivity(BaseModel):
    resource_name: str
    provider: str
    type: str
    status: str
    region: str | None
    last_synced: datetime | None


class DashboardStats(BaseModel):
    total_resources: int
    active_vms: int
    total_storage: int
    total_networks: int
    estimated_monthly_cost: float
    provider_breakdown: list[ProviderBreakdown]
    cost_by_provider: list[ProviderCost]
    cost_by_service: list[ServiceCost]
    region_distribution: list[RegionCount]
    provider_health: list[ProviderHealth]
    recent_activity: list[RecentActivity]
    last_updated: datetime


def shape(s: Stats) -> DashboardStats:
    """The document's field names for the domain's figures (costs rounded to cents)."""
    return DashboardStats(
        total_resources=s.total, active_vms=s.active_vms, total_storage=s.storage, total_networks=s.networks,
        estimated_monthly_cost=round(s.cost, 2),
        provider_breakdown=[ProviderBreakdown(provider=p.provider, count=p.count, vms=p.vms, storage=p.storage)
                            for p in s.providers],
        cost_by_provider=[ProviderCost(provider=p.provider, cost=round(p.cost, 2)) for p in s.providers],
        cost_by_service=[ServiceCost(service=k, cost=round(v, 2)) for k, v in s.cost_by_service.items()],
        region_distribution=[RegionCount(region=r, count=n) for r, n in s.regions],
        provider_health=[
            ProviderHealth(provider=a.slug, provider_type=a.provider_type, status=a.health_status,
                           response_time_ms=a.health_latency_ms, last_check=a.health_checked_at,
                           error_message=a.health_error)
            for a in s.accounts],
        recent_activity=[
            RecentActivity(resource_name=r.name, provider=r.provider, type=r.kind, status=r.status, region=r.region,
                           last_synced=r.last_synced)
            for r in s.recent],
        last_updated=s.at)
