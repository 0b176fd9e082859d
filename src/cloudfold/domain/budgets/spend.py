"""Spent in a scope over a period: the sum of `cost_records` the viewer may see. Its signature
is that of the cost core's `domain/costs/aggregate.spent` (issue 11, package A), which this
function stands in for until the two are merged."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, false, func, or_, select
from sqlalchemy.orm import Session

from cloudfold.db.models import Account, CostRecord
from cloudfold.domain import policy
from cloudfold.domain.context import Principal


@dataclass(frozen=True)
class Spend:
    amount_micros: int
    currency: str
    priced: bool  # False if any record in range has no known price
    records: int


def visible_records(stmt, viewer: Principal | None):
    """Records of accounts the viewer may see, and manual records (no account) the viewer made."""
    if viewer is None or viewer.is_admin:
        return stmt
    seen = policy.accounts(select(Account.id), viewer)
    return stmt.where(or_(CostRecord.account_id.in_(seen),
                          and_(CostRecord.account_id.is_(None), CostRecord.owner_id == viewer.user_id)))


def spent(session: Session, viewer: Principal | None, *, start: date, end: date, currency: str = "USD",
          provider: str | None = None, account_id: int | None = None,
          resource_ids: Collection[int] | None = None) -> Spend:
    """Spent from ``start`` to ``end`` (both days included) in ``currency``."""
    stmt = select(func.coalesce(func.sum(CostRecord.amount_micros), 0), func.count(),
                  func.count().filter(CostRecord.priced.is_(False)))
    stmt = stmt.where(CostRecord.day >= start, CostRecord.day <= end, CostRecord.currency == currency)
    if provider is not None:
        stmt = stmt.where(CostRecord.provider == provider)
    if account_id is not None:
        stmt = stmt.where(CostRecord.account_id == account_id)
    if resource_ids is not None:
        ids = list(resource_ids)
        stmt = stmt.where(CostRecord.resource_id.in_(ids) if ids else false())
    total, records, unpriced = session.execute(visible_records(stmt, viewer)).one()
    return Spend(int(total), currency, unpriced == 0, int(records))
