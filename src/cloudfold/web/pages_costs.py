"""Costs and budgets: this month and its projection (`costs.summary`), spending by provider,
service and day (`costs.breakdown`, the day chart drawn with uPlot), the budget rules and their
status (`budgets.rules`/`status`) and what enforcement decided (`budgets.enforce`), with a form
to create a budget rule and a confirmed delete, as `POST /api/budget/rules` and `DELETE
/api/budget/rules/{id}` do them (the API's `RuleIn`, `rules.create`/`delete`). The shapes are
the API's own (billing and budget schemas)."""

from __future__ import annotations

from datetime import datetime, time, timezone

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.orm import Session

from cloudfold.api.deps import context, get_session
from cloudfold.api.faces import billing_schemas as shapes
from cloudfold.api.faces.budget_schemas import DecisionOut, RuleIn, RuleOut, StatusOut
from cloudfold.domain import accounts, policy
from cloudfold.domain.budgets import enforce, rules, scope, status
from cloudfold.domain.budgets import periods as budget_periods
from cloudfold.domain.context import Principal
from cloudfold.domain.costs import breakdown, money, periods, summary
from cloudfold.drivers.registry import PROVIDER_TYPES
from cloudfold.web.forms import needs, removed, submitted
from cloudfold.web.render import PageRoute, page

router = APIRouter(prefix="/ui/costs", route_class=PageRoute, include_in_schema=False)

DECISIONS_SHOWN = 50
# the budget form's fields, the first a message names being its field ("tag_key is required for
# a tag scope" is tag_key's; "scope must be one of: all, provider, …" is scope's)
RULE_FIELDS = ("thresholds", "account_id", "tag_key", "tag_value", "scope", "provider", "amount", "currency", "period",
               "name")
ALIASES = {"threshold": "thresholds", "account": "account_id"}


def day_series(days: shapes.CostsOut) -> dict:
    """The by-day costs as a chart's series (x: UTC midnights in seconds)."""
    xs = [int(datetime.combine(d.day, time(), timezone.utc).timestamp()) for d in days.breakdown]
    return {"x": xs, "series": [{"label": f"cost ({days.currency})", "values": [d.cost for d in days.breakdown]}],
            "kind": "bars"}


def _view(request: Request, session: Session, p: Principal, status_code: int = 200, start_date: str | None = None,
          end_date: str | None = None, currency: str = "USD", **form):
    currency = money.currency(currency)
    period = periods.period(start_date or None, end_date or None)
    by = {g: shapes.costs(breakdown.costs(session, p, period, g, currency)) for g in ("provider", "service", "day")}
    visible = rules.visible(session, p)
    can_change = "write" in p.scopes
    return page(request, "costs.html", status_code, summary=shapes.summary(summary.summarize(session, p, currency)),
                by=by, chart=day_series(by["day"]), period=period, currency=currency,
                rules=[RuleOut.of(r) for r in visible], statuses=[StatusOut.of(status.of(session, r)) for r in visible],
                deletable={r.id for r in visible if can_change and policy.may(p, policy.DELETE, r)},
                decisions=[DecisionOut.of(d) for d in enforce.decisions(session, p, limit=DECISIONS_SHOWN)],
                can_change=can_change, accounts=accounts.list_for(session, p) if can_change else [],
                scopes=scope.SCOPES, providers=PROVIDER_TYPES, budget_periods=budget_periods.PERIODS,
                currencies=rules.CURRENCIES, values=form.get("values", {}), errors=form.get("errors", {}))


@router.get("")
def costs_page(request: Request, start_date: str | None = Query(None, max_length=10),
               end_date: str | None = Query(None, max_length=10), currency: str = Query("USD", max_length=3),
               session: Session = Depends(get_session), p: Principal = Depends(needs("read"))):
    return _view(request, session, p, start_date=start_date, end_date=end_date, currency=currency)


def thresholds_of(text: str) -> list[dict[str, str]]:
    """"50:alert, 80, 100:stop" as the API's thresholds; a missing action is left out, so the
    domain's default applies (`budgets.rules`); the API's model and rules judge the parts."""
    found = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        percent, _, action = (x.strip() for x in part.partition(":"))
        found.append({"percent": percent.removesuffix("%"), **({"action": action} if action else {})})
    return found


def _rule_body(form: dict[str, str]) -> dict:
    """The form as the API's `RuleIn`: the fields filled in (an empty one: the API's default)."""
    body = {k: form.get(k, "").strip() for k in RULE_FIELDS if k != "thresholds"}
    body = {k: v for k, v in body.items() if v or k == "name"}
    text = form.get("thresholds", "").strip()
    return {**body, "thresholds": thresholds_of(text)} if text else body


@router.post("/rules")
async def create_rule(request: Request):
    settings = request.app.state.runtime.settings
    return await submitted(request, RuleIn, _rule_body, RULE_FIELDS,
                           lambda s, p, body: rules.create(s, context(request, p), settings, body.spec()),
                           lambda s, p, form, code, errors: _view(request, s, p, code, values=form, errors=errors),
                           "/ui/costs#budgets", aliases=ALIASES)


@router.post("/rules/{rule_id}/delete")
async def delete_rule(request: Request, rule_id: int):
    return await removed(request, lambda s, p: rules.delete(s, context(request, p), rule_id), "/ui/costs#budgets")
