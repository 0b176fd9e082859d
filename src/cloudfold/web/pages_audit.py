"""The Audit log page: the API's `GET /monitor/audit` (`domain/audit.recent`, the same
visibility: admins see every event, others their own) with its filters — actor, action,
target, result, time — and server-side pagination."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.orm import Session

from cloudfold.api.deps import get_session
from cloudfold.domain import audit
from cloudfold.domain.context import Principal
from cloudfold.web.forms import needs, pager
from cloudfold.web.render import PageRoute, page

router = APIRouter(prefix="/ui/audit", route_class=PageRoute, include_in_schema=False)

PAGE_SIZE = 50
RESULTS = ("success", "failed", "blocked")


@router.get("")
def audit_page(request: Request, actor: str = Query("", max_length=400), action: str = Query("", max_length=120),
               target: str = Query("", max_length=400), result: Literal["", "success", "failed", "blocked"] = "",
               since: datetime | Literal[""] = "", until: datetime | Literal[""] = "",
               page_no: int = Query(1, alias="page", ge=1, le=100_000), session: Session = Depends(get_session),
               p: Principal = Depends(needs("read"))):
    rows, total = audit.recent(session, p, limit=PAGE_SIZE, offset=(page_no - 1) * PAGE_SIZE, result=result or None,
                               action=action or None, actor=actor or None, target=target or None,
                               since=since or None, until=until or None)
    chosen = {"actor": actor, "action": action, "target": target, "result": result,
              "since": since.strftime("%Y-%m-%dT%H:%M") if since else "",
              "until": until.strftime("%Y-%m-%dT%H:%M") if until else ""}
    return page(request, "audit.html", rows=[(r, audit.shown_detail(r)) for r in rows], total=total, chosen=chosen,
                results=RESULTS, pager=pager("/ui/audit", chosen, page_no, PAGE_SIZE, total))
