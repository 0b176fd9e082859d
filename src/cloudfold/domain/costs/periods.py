"""Date ranges of cost queries: defaults, order and length checked once for every face."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from cloudfold.errors import BadRequest

MAX_RANGE_DAYS = 366  # a query spans at most a year (inclusive days)


def today(now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).date()


def parse(value: str | date | None, name: str) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadRequest(f"{name} must be a date (YYYY-MM-DD)", detail={"field": name, "value": value}) from None


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def period(start: str | date | None, end: str | date | None, now: datetime | None = None) -> Period:
    """``start``..``end`` inclusive; defaults: the first of this month .. today (or start + the
    month). Wrong order or longer than MAX_RANGE_DAYS → 400."""
    first, last = parse(start, "start_date"), parse(end, "end_date")
    last = last or today(now)
    first = first or last.replace(day=1)
    if first > last:
        raise BadRequest("start_date is after end_date", detail={"start_date": str(first), "end_date": str(last)})
    if (last - first).days + 1 > MAX_RANGE_DAYS:
        raise BadRequest(f"A date range spans at most {MAX_RANGE_DAYS} days",
                         detail={"days": (last - first).days + 1, "max": MAX_RANGE_DAYS})
    return Period(first, last)


def previous_month(day: date) -> date:
    return day.replace(day=1) - timedelta(days=1)
