"""Seed 001 spending: `GET /api/budget/spending` (records the caller may see: synced, modelled
and manual), `POST /api/budget/spending` (a manual record, kept apart from synced ones).
Rules in `domain/costs/records.py`."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.orm import Session

from cloudfold.api.deps import context, get_session, require
from cloudfold.api.errors import responses
from cloudfold.api.faces import spending_schemas as shapes
from cloudfold.domain.context import Principal
from cloudfold.domain.costs import periods, records

router = APIRouter(prefix="/api/budget", tags=["budget"], responses=responses(401, 403, 429))


@router.get("/spending", response_model=list[shapes.SpendingOut], responses=responses(400, 422),
            summary="List spending records")
def list_spending(start_date: str | None = Query(None, max_length=10), end_date: str | None = Query(None, max_length=10),
                  provider: str | None = Query(None, max_length=32), source: str | None = Query(None, max_length=16),
                  limit: int = Query(500, description=f"At most {records.MAX_LIST}"),
                  session: Session = Depends(get_session), p: Principal = Depends(require("read"))):
    rows = records.listing(session, p, periods.period(start_date, end_date), provider=provider, source=source,
                           limit=limit)
    return [shapes.spending(row, slug) for row, slug in rows]


@router.post("/spending", response_model=shapes.SpendingOut, status_code=201, responses=responses(400, 404, 422),
             summary="Record spending")
def post_spending(body: shapes.SpendingIn, request: Request, session: Session = Depends(get_session),
                  p: Principal = Depends(require("write"))):
    spend = records.ManualSpend(amount=body.amount, day=body.date, service=body.service, currency=body.currency,
                                provider_ref=body.provider_id, description=body.description)
    ctx = context(request, p)
    row = records.add(session, ctx, spend)
    slug = records.account_slug(session, row)
    return shapes.spending(row, slug)
