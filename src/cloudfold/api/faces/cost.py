"""Seed 000 cost: `GET /cost` (all below in one answer), `/cost/summary` (this month,
projected month-end, year to date), `/cost/breakdown` (by provider and by machine),
`/cost/free-tier`, `/cost/resource-usage`, `/cost/comparison`. All read `domain/costs`, the
same records and aggregation as seed 002's `/billing/*` and seed 001's spending."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from cloudfold.api.deps import get_session, require
from cloudfold.api.errors import responses
from cloudfold.api.faces import cost_schemas as shapes
from cloudfold.domain.context import Principal
from cloudfold.domain.costs import breakdown, money, periods, summary, use
from cloudfold.domain.costs.periods import Period

router = APIRouter(prefix="/cost", tags=["cost"], responses=responses(400, 401, 403, 429))

START = Query(None, max_length=10, description="Start date (YYYY-MM-DD); default: the first of this month")
END = Query(None, max_length=10, description="End date (YYYY-MM-DD), inclusive; default: today (UTC)")
CURRENCY = Query("USD", max_length=3, description="ISO 4217 currency; records in other currencies are not counted")


def _breakdown(session: Session, p: Principal, period: Period, currency: str) -> shapes.BreakdownOut:
    return shapes.breakdown(breakdown.costs(session, p, period, "provider", currency),
                            breakdown.by_machine(session, p, period, currency))


def _resource_usage(session: Session, p: Principal, period: Period, currency: str) -> shapes.ResourceUsageOut:
    return shapes.resource_usage(currency, period.start, period.end, use.machines(session, p, period, currency))


def _free_tier(session: Session, p: Principal) -> shapes.FreeTierOut:
    month = periods.today()
    return shapes.free_tier(month, use.free_tier(session, p, month))


@router.get("", response_model=shapes.CostOut, summary="Complete cost data")
def get_cost(currency: str = CURRENCY, session: Session = Depends(get_session),
             p: Principal = Depends(require("read"))):
    currency = money.currency(currency)
    period = periods.period(None, None)
    return shapes.CostOut(summary=shapes.summary(summary.summarize(session, p, currency)),
                          breakdown=_breakdown(session, p, period, currency), freeTier=_free_tier(session, p),
                          resourceUsage=_resource_usage(session, p, period, currency), comparison=shapes.comparison())


@router.get("/summary", response_model=shapes.SummaryOut, summary="Cost summary (this month, projected, YTD)")
def get_summary(currency: str = CURRENCY, session: Session = Depends(get_session),
                p: Principal = Depends(require("read"))):
    return shapes.summary(summary.summarize(session, p, money.currency(currency)))


@router.get("/breakdown", response_model=shapes.BreakdownOut, summary="Cost breakdown by provider and machine")
def get_breakdown(start_date: str | None = START, end_date: str | None = END, currency: str = CURRENCY,
                  session: Session = Depends(get_session), p: Principal = Depends(require("read"))):
    return _breakdown(session, p, periods.period(start_date, end_date), money.currency(currency))


@router.get("/free-tier", response_model=shapes.FreeTierOut, summary="Free tier use this month per account")
def get_free_tier(session: Session = Depends(get_session), p: Principal = Depends(require("read"))):
    return _free_tier(session, p)


@router.get("/resource-usage", response_model=shapes.ResourceUsageOut, summary="Resource usage and cost per machine")
def get_resource_usage(start_date: str | None = START, end_date: str | None = END, currency: str = CURRENCY,
                       session: Session = Depends(get_session), p: Principal = Depends(require("read"))):
    return _resource_usage(session, p, periods.period(start_date, end_date), money.currency(currency))


@router.get("/comparison", response_model=shapes.ComparisonOut, summary="Market price comparison by machine size")
def get_comparison(p: Principal = Depends(require("read"))):
    return shapes.comparison()
