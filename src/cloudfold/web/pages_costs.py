"""Costs and budgets, read-only: this month and its projection (`costs.summary`), spending by
provider, service and day (`costs.breakdown`, the day chart drawn with uPlot), the budget rules
and their status (`budgets.rules`/`status`) and what enforcement decided (`budgets.enforce`).
The shapes are the API's own (billing and budget schemas); changes go through the API."""

from __future__ import annotations

from datetime import datetime, time, timezone

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.orm import Session

from cloudfold.api.deps import get_session
from cloudfold.api.faces import billing_schemas as shapes
from cloudfold.api.faces.budget_schemas import DecisionOut, RuleOut, StatusOut
from cloudfold.domain.budgets import enforce, rules, status
from cloudfold.domain.context import Principal
from cloudfold.domain.costs import breakdown, money, periods, summary
from cloudfold.web.forms import needs
from cloudfold.web.render import PageRoute, page

router = APIRouter(prefix="/ui/costs", route_class=PageRoute, include_in_schema=False)

DECISIONS_SHOWN = 50


def day_series(days: shapes.CostsOut) -> dict:
    """The by-day costs as a chart's series (x: UTC midnights in seconds)."""
    xs = [int(datetime.combine(d.day, time(), timezone.utc).timestamp()) for d in days.breakdown]
    return {"x": xs, "series": [{"label": f"cost ({days.currency})", "values": [d.cost for d in days.breakdown]}],
            "kind": "bars"}


@router.get("")
def costs_page(request: Request, start_date: str | None = Query(None, max_length=10),
               end_date: str | None = Query(None, max_length=10), currency: str = Query("USD", max_length=3),
               session: Session = Depends(get_session), p: Principal = Depends(needs("read"))):
    currency = money.currency(currency)
    period = periods.period(start_date or None, end_date or None)
    by = {g: shapes.costs(breakdown.costs(session, p, period, g, currency)) for g in ("provider", "service", "day")}
    visible = rules.visible(session, p)
    return page(request, "costs.html", summary=shapes.summary(summary.summarize(session, p, currency)), by=by,
                chart=day_series(by["day"]), period=period, currency=currency,
                rules=[RuleOut.of(r) for r in visible], statuses=[StatusOut.of(status.of(session, r)) for r in visible],
                decisions=[DecisionOut.of(d) for d in enforce.decisions(session, p, limit=DECISIONS_SHOWN)])
