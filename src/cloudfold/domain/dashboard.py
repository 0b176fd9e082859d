"""Dashboard statistics (seed 002 /dashboard/stats), computed in the database from the inventory."""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from cloudfold.db.base import utcnow
from cloudfold.db.models import Resource
from cloudfold.domain import accounts, inventory
from cloudfold.domain.context import Principal

HOURS_PER_MONTH = 730
SERVICE = case(
    (Resource.kind.in_(inventory.COMPUTE), "compute"),
    (Resource.kind.in_(inventory.STORAGE), "storage"),
    (Resource.kind.in_(inventory.NETWORK), "network"),
    else_="other",
)
# what is billed: running machines, and everything that is not a machine while it exists
BILLED = (Resource.kind.not_in(inventory.COMPUTE)) | (Resource.status == "running")


def _base(session: Session, viewer: Principal, *cols):
    return inventory.scoped(session, viewer, select(*cols).where(Resource.vanished.is_(False)))


def stats(session: Session, viewer: Principal) -> dict[str, Any]:
    monthly = func.coalesce(func.sum(case((BILLED, func.coalesce(Resource.cost_per_hour, 0.0)), else_=0.0)), 0.0) * HOURS_PER_MONTH
    is_vm = case((Resource.kind.in_(inventory.COMPUTE), 1), else_=0)
    is_storage = case((Resource.kind.in_(inventory.STORAGE), 1), else_=0)
    is_network = case((Resource.kind.in_(inventory.NETWORK), 1), else_=0)
    running_vm = case(((Resource.kind.in_(inventory.COMPUTE)) & (Resource.status == "running"), 1), else_=0)

    total, active, storage, networks, cost = session.execute(
        _base(session, viewer, func.count(Resource.id), func.sum(running_vm), func.sum(is_storage),
              func.sum(is_network), monthly)).one()
    by_provider = session.execute(
        _base(session, viewer, Resource.provider, func.count(Resource.id), func.sum(is_vm), func.sum(is_storage), monthly)
        .group_by(Resource.provider).order_by(func.count(Resource.id).desc())).all()
    by_service = session.execute(_base(session, viewer, SERVICE, monthly).group_by(SERVICE)).all()
    by_region = session.execute(
        _base(session, viewer, Resource.region, func.count(Resource.id)).where(Resource.region.is_not(None))
        .group_by(Resource.region).order_by(func.count(Resource.id).desc()).limit(20)).all()
    recent = session.scalars(
        inventory.scoped(session, viewer, select(Resource)).order_by(Resource.updated_at.desc()).limit(10)).all()
    return {
        "total_resources": int(total or 0),
        "active_vms": int(active or 0),
        "total_storage": int(storage or 0),
        "total_networks": int(networks or 0),
        "estimated_monthly_cost": round(float(cost or 0), 2),
        "provider_breakdown": [{"provider": p, "count": int(n), "vms": int(v or 0), "storage": int(s or 0)}
                               for p, n, v, s, _ in by_provider],
        "cost_by_provider": [{"provider": p, "cost": round(float(c or 0), 2)} for p, _, _, _, c in by_provider],
        "cost_by_service": [{"service": s, "cost": round(float(c or 0), 2)} for s, c in by_service],
        "region_distribution": [{"region": r, "count": int(n)} for r, n in by_region],
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
