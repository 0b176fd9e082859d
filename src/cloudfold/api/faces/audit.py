"""The audit log (seed 000 monitor family): recent events and their metrics.
Admins see every event; everyone else sees their own."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlalchemy.orm import Session

from cloudfold.api.deps import get_session, require
from cloudfold.api.errors import responses
from cloudfold.api.params import Skip
from cloudfold.domain import audit
from cloudfold.domain.context import Principal

router = APIRouter(prefix="/monitor/audit", tags=["monitor"], responses=responses(401, 403, 422, 429))


class AuditEventOut(BaseModel):
    id: int
    time: datetime
    actor: str
    actor_ip: str | None
    action: str
    target: str | None
    result: str
    status_code: int | None
    request_id: str | None
    detail: dict[str, Any] | None


class AuditPage(BaseModel):
    events: list[AuditEventOut]
    total: int
    limit: int
    offset: int


class ActionCount(BaseModel):
    action: str
    count: int


class AuditMetricsOut(BaseModel):
    total_events: int
    success: int
    failed: int
    blocked: int
    success_rate: float
    by_action: list[ActionCount]


@router.get("", response_model=AuditPage, summary="Recent audit events, newest first")
def recent(
    limit: int = Query(50, ge=1, le=500),
    offset: Skip = 0,
    result: Literal["success", "failed", "blocked"] | None = None,
    action: str | None = Query(None, max_length=120),
    actor: str | None = Query(None, max_length=400, description="Part of the actor (an email, a key prefix)"),
    target: str | None = Query(None, max_length=400, description="Part of the target, e.g. provider:aws-1"),
    since: datetime | None = Query(None, description="Events at or after this time"),
    until: datetime | None = Query(None, description="Events before this time"),
    session: Session = Depends(get_session),
    principal: Principal = Depends(require("read")),
) -> AuditPage:
    rows, total = audit.recent(session, principal, limit=limit, offset=offset, result=result, action=action,
                               actor=actor, target=target, since=since, until=until)
    events = [AuditEventOut.model_validate(r, from_attributes=True).model_copy(update={"detail": audit.shown_detail(r)})
              for r in rows]
    return AuditPage(events=events, total=total, limit=limit, offset=offset)


@router.get("/metrics", response_model=AuditMetricsOut, summary="Audit metrics: totals, success rate, blocked")
def metrics(session: Session = Depends(get_session),
            principal: Principal = Depends(require("read"))) -> AuditMetricsOut:
    m, by_action = audit.metrics(session, principal)
    return AuditMetricsOut(total_events=m.total_events, success=m.success, failed=m.failed, blocked=m.blocked,
                           success_rate=m.success_rate,
                           by_action=[ActionCount(action=a, count=n) for a, n in by_action])
