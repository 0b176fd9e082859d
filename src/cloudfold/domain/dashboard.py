"""Dashboard statistics (seed 002 /dashboard/stats), read from the inventory counts the database keeps:
plain figures (`Stats`); the face (api/faces/dashboard_schemas.py) names them."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloudfold.db.base import utcnow
from cloudfold.db.models import Account, Resource, ResourceCount
from cloudfold.db.models.resource_counts import COST_SCALE, NO_REGION
from cloudfold.domain import accounts, inventory, policy
from cloudfold.domain.context import Principal

HOURS_PER_MONTH = 730


def _service(kind: str) -> str:
    for name, kinds in (("compute", inventory.COMPUTE), ("storage", inventory.STORAGE), ("network", inventory.NETWORK)):
        if kind in kinds:
            return name
    return "other"


@dataclass
class ProviderFigures:
    provider: str
    count: int = 0
    vms: int = 0
    storage: int = 0
    cost: float = 0.0  # per month


@dataclass
class Stats:
    """The dashboard's figures; the face (api/faces/dashboard_shapes.py) names them."""
    total: int
    active_vms: int
    storage: int
    networks: int
    cost: float  # per month
    providers: list[ProviderFigures]  # most resources first
    cost_by_service: dict[str, float]
    regions: list[tuple[str, int]]  # most resources first, at most 20
    accounts: list[Account]  # their health
    recent: list[Resource]  # last updated first, at most 10
    at: datetime


def stats(session: Session, viewer: Principal) -> Stats:
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
    providers: dict[str, ProviderFigures] = {}
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
        p = providers.setdefault(provider, ProviderFigures(provider))
        p.count += n
        p.vms += n if compute else 0
        p.storage += n if kind in inventory.STORAGE else 0
        p.cost += billed
        services[_service(kind)] += billed
        if region != NO_REGION:
            regions[region] += n
    recent = session.scalars(
        inventory.scoped(session, viewer, select(Resource)).order_by(Resource.updated_at.desc()).limit(10)).all()
    return Stats(
        total=total, active_vms=active, storage=storage, networks=networks, cost=cost,
        providers=sorted(providers.values(), key=lambda p: (-p.count, p.provider)),
        cost_by_service=dict(sorted(services.items())),
        regions=sorted(regions.items(), key=lambda x: (-x[1], x[0]))[:20],
        accounts=list(accounts.list_for(session, viewer)), recent=list(recent), at=utcnow())


@dataclass(frozen=True)
class Group:
    provider: str
    kind: str
    status: str
    count: int


def breakdown(session: Session, viewer: Principal) -> list[Group]:
    """Counts by cloud, kind and state (the web overview), from the same kept counts and
    visibility rule as `stats`; largest first."""
    group = (ResourceCount.provider, ResourceCount.kind, ResourceCount.status)
    rows = session.execute(
        policy.resource_counts(select(*group, func.sum(ResourceCount.n)).where(ResourceCount.vanished.is_(False)),
                               viewer).group_by(*group).having(func.sum(ResourceCount.n) > 0)).all()
    return sorted((Group(p, k, s, int(n)) for p, k, s, n in rows),
                  key=lambda g: (-g.count, g.provider, g.kind, g.status))
