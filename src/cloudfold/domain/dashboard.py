"""Dashboard statistics (seed 002 /dashboard/stats), read from the inventory counts the database keeps."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloudfold.db.base import utcnow
from cloudfold.db.models import Resource, ResourceCount
from cloudfold.db.models.resource_counts import COST_SCALE, NO_REGION
from cloudfold.domain import accounts, inventory, policy
from cloudfold.domain.context import Principal

HOURS_PER_MONTH = 730


def _service(kind: str) -> str:
    for name, kinds in (("compute", inventory.COMPUTE), ("storage", inventory.STORAGE), ("network", inventory.NETWORK)):
        if kind in kinds:
            return name
    return "other"


def stats(session: Session, viewer: Principal) -> dict[str, Any]:
    """Every figure summed from the kept counts (`ResourceCount`, grouped by provider, kind,
    region and status — a few hundred rows at most, kept exact by the database on every write
    of the inventory) under the viewer's visibility rule. What is billed: running machines, and
    everything that is not a machine while it exists."""
    group = (ResourceCount.provider, ResourceCount.kind, ResourceCount.region, ResourceCount.status)
    groups = session.execute(
        policy.resource_counts(select(*group, func.sum(ResourceCount.n), func.sum(ResourceCount.cost_micros))
                               .where(ResourceCount.vanished.is_(False)), viewer)
        .group_by(*group).having(func.sum(ResourceCount.n) > 0)).all()
    total = active = storage = networks = 0
    cost = 0.0
    providers: dict[str, dict[str, Any]] = {}
    services: dict[str, float] = defaultdict(float)
    regions: dict[str, int] = defaultdict(int)
    for provider, kind, region, status, n, cost_micros in groups:
        compute = kind in inventory.COMPUTE
        billed = int(cost_micros or 0) / COST_SCALE * HOURS_PER_MONTH if (not compute or status == "running") else 0.0
        total += n
        active += n if compute and status == "running" else 0
        storage += n if kind in inventory.STORAGE else 0
        networks += n if kind in inventory.NETWORK else 0
        cost += billed
        p = providers.setdefault(provider, {"provider": provider, "count": 0, "vms": 0, "storage": 0, "cost": 0.0})
        p["count"] += n
        p["vms"] += n if compute else 0
        p["storage"] += n if kind in inventory.STORAGE else 0
        p["cost"] += billed
        services[_service(kind)] += billed
        if region != NO_REGION:
            regions[region] += n
    by_provider = sorted(providers.values(), key=lambda p: (-p["count"], p["provider"]))
    recent = session.scalars(
        inventory.scoped(session, viewer, select(Resource)).order_by(Resource.updated_at.desc()).limit(10)).all()
    return {
        "total_resources": total,
        "active_vms": active,
        "total_storage": storage,
        "total_networks": networks,
        "estimated_monthly_cost": round(cost, 2),
        "provider_breakdown": [{k: p[k] for k in ("provider", "count", "vms", "storage")} for p in by_provider],
        "cost_by_provider": [{"provider": p["provider"], "cost": round(p["cost"], 2)} for p in by_provider],
        "cost_by_service": [{"service": k, "cost": round(v, 2)} for k, v in sorted(services.items())],
        "region_distribution": [{"region": r, "count": n}
                                for r, n in sorted(regions.items(), key=lambda x: (-x[1], x[0]))[:20]],
        "provider_health": [
            {"provider": a.slug, "provider_type": a.provider_type, "status": a.health_status,
             "response_time_ms": a.health_latency_ms, "last_check": a.health_checked_at,
             "error_message": a.health_error}
            for a in accounts.list_for(session, viewer)
        ],
        "recent_activity": [
            {"resource_name": r.name, "provider": r.provider, "type": r.kind, "status": r.status,
             "region": r.region, "last_synced": r.last_synced}
            for r in recent
        ],
        "last_updated": utcnow(),
    }
