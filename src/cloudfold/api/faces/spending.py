"""Seed 001 spending: `GET /api/budget/spending` (records the caller may see: synced, modelled
and manual), `POST /api/budget/spending` (a manual record, kept apart from synced ones),
`POST /api/budget/sync-spending` (a task syncing every account the caller sees). Rules in
`domain/costs/records.py` and `domain/costs/sync.py`."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.orm import Session

from cloudfold.api.deps import context, get_runtime, get_session, require
from cloudfold.api.errors import responses
from cloudfold.api.faces import spending_schemas as shapes
from cloudfold.domain.context import Principal
from cloudfold.domain.costs import periods, records, sync
from cloudfold.runtime import Runtime

router = APIRouter(prefix="/api/budget", tags=["budget"], responses=responses(401, 403, 429))


@router.get("/spending", response_model=list[shapes.SpendingOut], responses=responses(400, 422),
            summary="List spending records")
def list_spending(start_date: str | None = Query(None, max_length=10), end_date: str | None = Query(None, max_length=10),
                  provider: str | None = Query(None, max_length=32), source: str | None = Query(None, max_length=16),
                  limit: int = Query(500, description=f"At most {records.MAX_LIST}"),
                  session: Session = Depends(get_session), p: Principal = Depends(require("read"))):
    rows = records.listing(session, p, periods.period(start_date, end_date), provider=provider, source=source,
                           limit=limit)
    return [shapes.spending(row, slug, stale) for row, slug, stale in rows]


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


@router.post("/sync-spending", response_model=shapes.SyncOut, status_code=202,
             summary="Trigger spending sync from all providers")
def sync_spending(request: Request, session: Session = Depends(get_session), runtime: Runtime = Depends(get_runtime),
                  p: Principal = Depends(require("write"))):
    task_id = sync.request_all(session, runtime.queue, context(request, p))
    return shapes.SyncOut(message="Spending sync started", task_id=task_id)
