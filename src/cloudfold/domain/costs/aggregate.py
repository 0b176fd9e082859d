"""The one aggregation of spending: every cost face (seed 000 /cost*, seed 002 /billing/*,
seed 001 /api/budget/spending) and every budget reads these functions over `cost_records`.

Scope: what the viewer may see (`policy.cost_records`), one currency (never mixed), days
``start``..``end`` inclusive, optionally one provider, one account, some machines.

**Month-end projection** (`projected_month_end`), for a month containing "today" (UTC):

    projected = spent(first day of month .. today)
              + rate × days_left,      rate = spent(today-7 .. today-1) / 7, days_left = month end - today
              + Σ running machines not covered by the rate × their hourly price × hours left in the month

A machine is "covered by the rate" when it, or its account, has records in those 7 days (so a
provider that bills per service, like Cost Explorer, is not counted twice). Hourly prices are
the inventory's `cost_per_hour` (USD, from the price catalogue), else for a machine of an
account costed by the model (local engine, Proxmox) its hourly cost under that model
(`model.hourly_micros`); a running machine with no known price makes the projection
`priced: false`. A past month projects to what it spent; a future
month to rate × its days plus running machines for all its hours.
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import Session

from cloudfold.db.models import CostRecord, Resource
from cloudfold.domain import policy
from cloudfold.domain.context import Principal
from cloudfold.domain.costs import model
from cloudfold.domain.costs.money import to_micros

RATE_DAYS = 7
RUNNING = ("running",)
GROUPS = {"provider": CostRecord.provider, "service": CostRecord.service, "day": CostRecord.day,
          "account": CostRecord.account_id, "resource": CostRecord.resource_id}


@dataclass(frozen=True)
class Spend:
    amount_micros: int
    currency: str
    priced: bool  # False if any record counted (or running machine projected) has no known price
    records: int


@dataclass(frozen=True)
class Scope:
    viewer: Principal | None
    currency: str = "USD"
    provider: str | None = None
    account_id: int | None = None
    resource_ids: Collection[int] | None = None

    def _narrow(self, stmt, provider, account_id, resource_id):
        if self.provider is not None:
            stmt = stmt.where(provider == self.provider)
        if self.account_id is not None:
            stmt = stmt.where(account_id == self.account_id)
        if self.resource_ids is not None:
            stmt = stmt.where(resource_id.in_(list(self.resource_ids)))
        return stmt

    def records(self, stmt, start: date, end: date):
        stmt = policy.cost_records(stmt, self.viewer).where(
            CostRecord.day >= start, CostRecord.day <= end, CostRecord.currency == self.currency)
        return self._narrow(stmt, CostRecord.provider, CostRecord.account_id, CostRecord.resource_id)

    def machines(self, stmt):
        stmt = policy.resources(stmt, self.viewer).where(Resource.vanished.is_(False))
        return self._narrow(stmt, Resource.provider, Resource.account_id, Resource.id)


_UNPRICED = func.coalesce(func.sum(case((CostRecord.priced.is_(False), 1), else_=0)), 0)
_TOTALS = (func.coalesce(func.sum(CostRecord.amount_micros), 0), func.count(CostRecord.id), _UNPRICED)


def _spent(session: Session, scope: Scope, start: date, end: date) -> Spend:
    amount, count, unpriced = session.execute(scope.records(select(*_TOTALS), start, end)).one()
    return Spend(int(amount), scope.currency, int(unpriced) == 0, int(count))


def spent(session: Session, viewer: Principal | None, *, start: date, end: date, currency: str = "USD",
          provider: str | None = None, account_id: int | None = None,
          resource_ids: Collection[int] | None = None) -> Spend:
    """What the viewer's visible records in scope add up to over ``start``..``end`` (inclusive)."""
    return _spent(session, Scope(viewer, currency, provider, account_id, resource_ids), start, end)


@dataclass(frozen=True)
class Group:
    key: tuple
    spend: Spend


def grouped(session: Session, viewer: Principal | None, *, start: date, end: date, by: Sequence[str],
            currency: str = "USD", provider: str | None = None, account_id: int | None = None,
            resource_ids: Collection[int] | None = None) -> list[Group]:
    """`spent`, per distinct value of the ``by`` columns (names of `GROUPS`), ordered by them."""
    columns = [GROUPS[name] for name in by]
    scope = Scope(viewer, currency, provider, account_id, resource_ids)
    stmt = scope.records(select(*columns, *_TOTALS), start, end).group_by(*columns).order_by(*columns)
    return [Group(tuple(row[:len(columns)]), Spend(int(row[-3]), currency, int(row[-1]) == 0, int(row[-2])))
            for row in session.execute(stmt)]


def month_bounds(month: date) -> tuple[date, date]:
    first = month.replace(day=1)
    return first, first.replace(day=monthrange(first.year, first.month)[1])


def _running_not_covered(session: Session, scope: Scope, window: tuple[date, date]) -> list[Resource]:
    covered = scope.records(select(CostRecord.id), *window).where(
        or_(CostRecord.resource_id == Resource.id,
            and_(CostRecord.account_id.is_not(None), CostRecord.account_id == Resource.account_id)))
    stmt = scope.machines(select(Resource)).where(Resource.status.in_(RUNNING), ~exists(covered))
    return list(session.scalars(stmt))


def projected_month_end(session: Session, viewer: Principal | None, *, month: date, currency: str = "USD",
                        provider: str | None = None, account_id: int | None = None,
                        resource_ids: Collection[int] | None = None, now: datetime | None = None) -> Spend:
    """The month's projected total (formula in the module docstring); ``now`` for tests."""
    now = now or datetime.now(UTC)
    today = now.date()
    scope = Scope(viewer, currency, provider, account_id, resource_ids)
    first, last = month_bounds(month)
    if today > last:
        return _spent(session, scope, first, last)
    to_date = _spent(session, scope, first, today) if today >= first else Spend(0, currency, True, 0)
    window = (today - timedelta(days=RATE_DAYS), today - timedelta(days=1))
    rate = _spent(session, scope, *window)
    days_left = (last - max(today, first - timedelta(days=1))).days
    amount = to_date.amount_micros + rate.amount_micros * days_left // RATE_DAYS
    priced = to_date.priced and rate.priced
    month_end = datetime.combine(last + timedelta(days=1), time(), UTC)
    seconds_left = int((month_end - max(now, datetime.combine(first, time(), UTC))).total_seconds())
    if currency == "USD":  # the inventory's hourly prices are USD
        for machine in _running_not_covered(session, scope, window):
            hourly = to_micros(machine.cost_per_hour) if machine.cost_per_hour is not None else \
                model.hourly_micros(machine)
            if hourly is None:
                priced = False
                continue
            amount += hourly * seconds_left // 3600
    return Spend(amount, currency, priced, to_date.records)
