"""Seed 002 billing: `GET /billing/costs` (a period's spending grouped by provider with its
services, by service or by day) and `GET /billing/summary` (this month, its projection, last
month, the change). Both read `domain/costs` (the one aggregation seed 000 and 001 read too)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from cloudfold.api.deps import get_session, require
from cloudfold.api.errors import responses
from cloudfold.api.faces import billing_schemas as shapes
from cloudfold.domain.context import Principal
from cloudfold.domain.costs import breakdown, money, periods, summary

router = APIRouter(prefix="/billing", tags=["billing"], responses=responses(400, 401, 403, 429))

START = Query(None, max_length=10, description="Start date (YYYY-MM-DD); default: the first of the end date's month")
END = Query(None, max_length=10, description="End date (YYYY-MM-DD), inclusive; default: today (UTC)")
CURRENCY = Query("USD", max_length=3, description="ISO 4217 currency; records in other currencies are not counted")


@router.get("/costs", response_model=shapes.CostsOut, summary="Cost data with grouping options")
def get_costs(start_date: str | None = START, end_date: str | None = END,
              group_by: str | None = Query(None, max_length=16, description="provider (default), service or day"),
              currency: str = CURRENCY, session: Session = Depends(get_session),
              p: Principal = Depends(require("read"))):
    result = breakdown.costs(session, p, periods.period(start_date, end_date), group_by, money.currency(currency))
    return shapes.costs(result)


@router.get("/summary", response_model=shapes.SummaryOut, summary="Monthly cost summary")
def get_summary(currency: str = CURRENCY, session: Session = Depends(get_session),
                p: Principal = Depends(require("read"))):
    return shapes.summary(summary.summarize(session, p, money.currency(currency)))
