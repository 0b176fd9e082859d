"""Seed 002 billing shapes (`/billing/costs`, `/billing/summary`): every field of the document's
examples, plus `priced` (false when some cost has no known price) where a total is shown."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel

from cloudfold.domain.costs.breakdown import Breakdown, Line
from cloudfold.domain.costs.money import units
from cloudfold.domain.costs.summary import Summary


class PeriodOut(BaseModel):
    start: date
    end: date


class ServiceCost(BaseModel):
    service: str
    cost: float


class ProviderCost(BaseModel):
    provider: str
    cost: float
    services: list[ServiceCost]


class DayCost(BaseModel):
    day: date
    cost: float


class CostsOut(BaseModel):
    total_cost: float
    currency: str
    priced: bool
    period: PeriodOut
    group_by: str
    breakdown: list[ProviderCost] | list[ServiceCost] | list[DayCost]


class MonthNow(BaseModel):
    period: str  # YYYY-MM
    total_cost: float
    days_elapsed: int
    projected_cost: float


class MonthPast(BaseModel):
    period: str
    total_cost: float


class Change(BaseModel):
    absolute: float
    percentage: float | None  # null when last month cost nothing


class SummaryOut(BaseModel):
    currency: str
    priced: bool
    current_month: MonthNow
    last_month: MonthPast
    change: Change


def _line(by: str, line: Line) -> dict:
    if by == "provider":
        return {"provider": line.key, "cost": units(line.spend.amount_micros),
                "services": [{"service": p.key, "cost": units(p.spend.amount_micros)} for p in line.parts]}
    return {by: line.key, "cost": units(line.spend.amount_micros)}


def costs(result: Breakdown) -> CostsOut:
    return CostsOut(total_cost=units(result.total.amount_micros), currency=result.total.currency,
                    priced=result.total.priced, period=PeriodOut(start=result.period.start, end=result.period.end),
                    group_by=result.group_by, breakdown=[_line(result.group_by, line) for line in result.lines])


def summary(s: Summary) -> SummaryOut:
    last = s.last_month.amount_micros
    percentage = round(s.change_micros * 100 / last, 2) if last else None
    return SummaryOut(
        currency=s.this_month.currency, priced=s.this_month.priced and s.projected.priced,
        current_month=MonthNow(period=s.month.strftime("%Y-%m"), total_cost=units(s.this_month.amount_micros),
                               days_elapsed=s.days_elapsed, projected_cost=units(s.projected.amount_micros)),
        last_month=MonthPast(period=s.last_month_start.strftime("%Y-%m"), total_cost=units(last)),
        change=Change(absolute=units(s.change_micros), percentage=percentage))
