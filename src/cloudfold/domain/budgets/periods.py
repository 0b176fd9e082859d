"""A rule's period: monthly from its start day (a month without that day starts on its last
day), or one UTC day. `current` gives the period holding a day: (first day, last day)."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

PERIODS = ("monthly", "daily")


def _start_in(year: int, month: int, start_day: int) -> date:
    return date(year, month, min(start_day, calendar.monthrange(year, month)[1]))


def _shift(year: int, month: int, by: int) -> tuple[int, int]:
    index = year * 12 + month - 1 + by
    return index // 12, index % 12 + 1


def current(period: str, start_day: int, today: date) -> tuple[date, date]:
    if period == "daily":
        return today, today
    start = _start_in(today.year, today.month, start_day)
    if start > today:
        start = _start_in(*_shift(today.year, today.month, -1), start_day)
    following = _start_in(*_shift(start.year, start.month, 1), start_day)
    return start, following - timedelta(days=1)
