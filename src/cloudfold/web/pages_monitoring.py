"""Monitoring: monitors with up/down, uptime and a latency sparkline (`domain/monitors`),
firing alerts with acknowledge and silence (`domain/alerts/active`, as `POST /api/alerts/{id}/ack`
and `/silence`), and a machine's CPU, memory, network and disk charts over 1 h / 24 h / 7 d /
30 d from the analytics domain (`domain/metrics/series.history`, as `GET /api/analytics/...`),
and the caller's alert rules with a form to make one and a button to delete one (`domain/alerts/rules`,
as `POST /api/alert-rules` and `DELETE /api/alert-rules/{id}`)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.orm import Session

from cloudfold.api.deps import context, get_session
from cloudfold.api.errors import audit_refusal, status_for
from cloudfold.api.faces.alert_schemas import AlertOut, RuleIn, RuleOut, SilenceIn
from cloudfold.api.faces.monitor_schemas import MonitorOut
from cloudfold.domain import inventory, policy
from cloudfold.domain.alerts import active, rules
from cloudfold.domain.context import Principal
from cloudfold.domain.metrics import series
from cloudfold.domain.monitors import service
from cloudfold.errors import CloudfoldError
from cloudfold.runtime import Runtime
from cloudfold.web.forms import FORM, field_of, in_session, needs, parsed, scoped_form
from cloudfold.web.render import PageRoute, page, redirect

router = APIRouter(prefix="/ui/monitoring", route_class=PageRoute, include_in_schema=False)

MONITORS_SHOWN = 200
SPARK_CHECKS = 30
ALERTS_SHOWN = 100
SILENCES = (15, 60, 240, 1440)
MACHINES_OFFERED = 200  # the rule form's machine choices (more: type the id)
RULE_FIELDS = ("name", "kind", "resource_id", "open_after")
# chart id -> (title, unit, [(series label, how to read it off a point)])
CHARTS = {
    "cpu": ("CPU", " %", [("cpu %", lambda p: p.cpu)]),
    "memory": ("Memory", " %", [("memory %", lambda p: p.memory_percent)]),
    "network": ("Network", " B/s", [("in", lambda p: p.rates.get("net_in")),
                                    ("out", lambda p: p.rates.get("net_out"))]),
    "disk": ("Disk", " B/s", [("read", lambda p: p.rates.get("disk_read")),
                              ("write", lambda p: p.rates.get("disk_write"))]),
}


def _monitors(session: Session, p: Principal) -> tuple[list[dict], int]:
    rows, total = service.listing(session, p, limit=MONITORS_SHOWN)
    uptime = service.uptime(session, [m.id for m in rows]) if rows else {}
    shown = []
    for m in rows:
        checks = service.checks(session, p, str(m.id), limit=SPARK_CHECKS)
        shown.append({"monitor": MonitorOut.model_validate(m, from_attributes=True), "uptime": uptime.get(m.id, {}),
                      "spark": [c.latency_ms for c in reversed(checks) if c.latency_ms is not None]})
    return shown, total


def _alerts(session: Session, p: Principal) -> list[dict]:
    return [{"alert": AlertOut.of(a, r), "can_change": "write" in p.scopes and policy.may(p, policy.CHANGE, a)}
            for a, r in active.listed(session, p, "firing", ALERTS_SHOWN)]


def _machines(request: Request, p: Principal) -> list:
    runtime: Runtime = request.app.state.runtime
    filters = inventory.Filters(kinds=inventory.COMPUTE)
    return inventory.page_rows(runtime.engine, p, filters, limit=MACHINES_OFFERED)[0]


def _view(request: Request, session: Session, p: Principal, status: int = 200, **values):
    monitors, total = _monitors(session, p)
    can_change = "write" in p.scopes
    return page(request, "monitoring.html", status, monitors=monitors, total=total, alerts=_alerts(session, p),
                silences=SILENCES, rules=[RuleOut.of(r) for r in rules.visible(session, p)],
                kinds=rules.kinds(), machines=_machines(request, p) if can_change else [], can_change=can_change,
                values=values.pop("values", {}), rule_errors=values.pop("rule_errors", {}), **values)


@router.get("")
def monitoring_page(request: Request, session: Session = Depends(get_session), p: Principal = Depends(needs("read"))):
    return _view(request, session, p)


def _rule_body(form: dict[str, str]) -> dict:
    """The form as the API's `RuleIn`: a typed id wins over the chosen machine (none: everything)."""
    return {"name": form.get("name", "").strip(), "kind": form.get("kind", ""),
            "resource_id": form.get("resource_typed", "").strip() or form.get("resource_id") or None,
            "open_after": form.get("open_after", "").strip() or 3}


@router.post("/rules")
async def create_rule(request: Request):
    p, form = await scoped_form(request, "write")
    runtime: Runtime = request.app.state.runtime
    body, errors = parsed(RuleIn, _rule_body(form))
    if body is None:
        errors = {k if k in RULE_FIELDS else FORM: v for k, v in errors.items()}
        return await in_session(request, lambda s: _view(request, s, p, 400, values=form, rule_errors=errors))
    try:
        await in_session(request, lambda s: rules.create(s, context(request, p), runtime.settings, body.spec()))
    except CloudfoldError as exc:
        await audit_refusal(request, exc)
        field = field_of(exc.message, (*RULE_FIELDS, "resource"))
        status, errors = status_for(exc), {{"resource": "resource_id"}.get(field, field): exc.message}
        return await in_session(request, lambda s: _view(request, s, p, status, values=form, rule_errors=errors))
    return redirect("/ui/monitoring#rules")


@router.post("/rules/{rule_id}/delete")
async def delete_rule(request: Request, rule_id: int):
    p, _ = await scoped_form(request, "write")
    await in_session(request, lambda s: rules.delete(s, context(request, p), rule_id))
    return redirect("/ui/monitoring#rules")


def charts_of(history: series.History) -> dict[str, dict]:
    xs = [pt.timestamp for pt in history.points]
    return {key: {"title": title, "x": xs, "unit": unit, "kind": "line",
                  "series": [{"label": label, "values": [read(pt) for pt in history.points]} for label, read in lines]}
            for key, (title, unit, lines) in CHARTS.items()}


@router.get("/machines/{resource_id}")
def machine_charts(request: Request, resource_id: int, range: str = Query("1h", max_length=8),
                   session: Session = Depends(get_session), p: Principal = Depends(needs("read"))):
    row = inventory.get(session, p, resource_id)
    history = series.history(session, p, inventory.vmid_of(row), range)
    return page(request, "machine_charts.html", row=row, history=history, charts=charts_of(history),
                ranges=list(series.RANGES), range=range)


@router.post("/alerts/{alert_id}/ack")
async def acknowledge(request: Request, alert_id: int):
    p, _ = await scoped_form(request, "write")
    await in_session(request, lambda s: active.acknowledge(s, context(request, p), alert_id))
    return redirect("/ui/monitoring")


@router.post("/alerts/{alert_id}/silence")
async def silence(request: Request, alert_id: int):
    p, form = await scoped_form(request, "write")
    body, errors = parsed(SilenceIn, {"minutes": form.get("minutes", "")})
    if body is None:
        return await in_session(request, lambda s: _view(request, s, p, 400,
                                                         errors={alert_id: errors.get("minutes", "")}))
    await in_session(request, lambda s: active.silence(s, context(request, p), alert_id, body.minutes))
    return redirect("/ui/monitoring")
