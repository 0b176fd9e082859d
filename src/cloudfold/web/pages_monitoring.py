"""Monitoring: monitors with up/down, uptime and a latency sparkline (`domain/monitors`),
firing alerts with acknowledge and silence (`domain/alerts/active`, as `POST /api/alerts/{id}/ack`
and `/silence`), and a machine's CPU, memory, network and disk charts over 1 h / 24 h / 7 d /
30 d from the analytics domain (`domain/metrics/series.history`, as `GET /api/analytics/...`),
the caller's alert rules with a form to make one and a button to delete one (`domain/alerts/rules`,
as `POST /api/alert-rules` and `DELETE /api/alert-rules/{id}`), and the same for monitors
(`domain/monitors/service.create`/`remove`, as `POST /api/monitors` and `DELETE /api/monitors/{id}`)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.orm import Session

from cloudfold.api.deps import context, get_session
from cloudfold.api.faces.alert_schemas import AlertOut, RuleIn, RuleOut, SilenceIn
from cloudfold.api.faces.monitor_schemas import MonitorIn, MonitorOut
from cloudfold.domain import inventory, policy
from cloudfold.domain.alerts import active, rules
from cloudfold.domain.context import Principal
from cloudfold.domain.metrics import series
from cloudfold.domain.monitors import service, specs
from cloudfold.runtime import Runtime
from cloudfold.web.forms import in_session, needs, parsed, removed, scoped_form, submitted
from cloudfold.web.render import PageRoute, page, redirect

router = APIRouter(prefix="/ui/monitoring", route_class=PageRoute, include_in_schema=False)

MONITORS_SHOWN = 200
SPARK_CHECKS = 30
ALERTS_SHOWN = 100
SILENCES = (15, 60, 240, 1440)
MACHINES_OFFERED = 200  # the rule form's machine choices (more: type the id)
RULE_FIELDS = ("name", "kind", "resource_id", "open_after")
MONITOR_FIELDS = ("target", "interval_seconds", "kind", "name")  # the first a message names is its field
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
                      "can_delete": "write" in p.scopes and not m.auto and policy.may(p, policy.DELETE, m),
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
                kinds=rules.kinds(), monitor_kinds=specs.KINDS, machines=_machines(request, p) if can_change else [],
                can_change=can_change,
                values=values.pop("values", {}), rule_errors=values.pop("rule_errors", {}),
                monitor_values=values.pop("monitor_values", {}), monitor_errors=values.pop("monitor_errors", {}),
                **values)


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
    settings = request.app.state.runtime.settings
    return await submitted(request, RuleIn, _rule_body, RULE_FIELDS,
                           lambda s, p, body: rules.create(s, context(request, p), settings, body.spec()),
                           lambda s, p, form, code, errors: _view(request, s, p, code, values=form, rule_errors=errors),
                           "/ui/monitoring#rules", aliases={"resource": "resource_id"})


@router.post("/rules/{rule_id}/delete")
async def delete_rule(request: Request, rule_id: int):
    return await removed(request, lambda s, p: rules.delete(s, context(request, p), rule_id), "/ui/monitoring#rules")


def _monitor_body(form: dict[str, str]) -> dict:
    """The form as the API's `MonitorIn` (an empty name or interval: the API's default)."""
    body = {"kind": form.get("kind", ""), "target": form.get("target", "").strip(),
            "name": form.get("name", "").strip() or None}
    interval = form.get("interval_seconds", "").strip()
    return {**body, "interval_seconds": interval} if interval else body


@router.post("/monitors")
async def create_monitor(request: Request):
    """As `POST /api/monitors`: `MonitorIn`, then `service.create` (kinds, targets, the egress
    rule, quota, audit)."""
    settings = request.app.state.runtime.settings
    return await submitted(request, MonitorIn, _monitor_body, MONITOR_FIELDS,
                           lambda s, p, body: service.create(s, context(request, p), settings, body.model_dump()),
                           lambda s, p, form, code, errors: _view(request, s, p, code, monitor_values=form,
                                                                  monitor_errors=errors),
                           "/ui/monitoring#monitors")


@router.post("/monitors/{monitor_id}/delete")
async def delete_monitor(request: Request, monitor_id: str):
    return await removed(request, lambda s, p: service.remove(s, context(request, p), monitor_id),
                         "/ui/monitoring#monitors")


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
