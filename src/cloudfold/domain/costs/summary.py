"""This month, its projection, last month and the year to date: the one summary seed 000
`/cost/summary` and seed 002 `/billing/summary` both shape (so they show the same numbers)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from cloudfold.domain.context import Principal
from cloudfold.domain.costs import aggregate, periods
from cloudfold.domain.costs.aggregate import Spend


@dataclass(frozen=True)
class Summary:
    month: date  # the first of this month
    days_elapsed: int
    this_month: Spend
    projected: Spend
    last_month_start: date
    last_month: Spend
    year_to_date: Spend

    @property
    def change_micros(self) -> int:
        return self.this_month.amount_micros - self.last_month.amount_micros


def summarize(session: Session, viewer: Principal | None, currency: str = "USD",
              now: datetime | None = None) -> Summary:
    today = periods.today(now)
    first, _ = aggregate.month_bounds(today)
    last_first, last_end = aggregate.month_bounds(periods.previous_month(today))
    return Summary(
        month=first,
        days_elapsed=today.day,
        this_month=aggregate.spent(session, viewer, start=first, end=today, currency=currency),
        projected=aggregate.projected_month_end(session, viewer, month=first, currency=currency, now=now),
        last_month_start=last_first,
        last_month=aggregate.spent(session, viewer, start=last_first, end=last_end, currency=currency),
        year_to_date=aggregate.spent(session, viewer, start=today.replace(month=1, day=1), end=today,
                                     currency=currency),
    )
