"""Alerting faces: cloudfold's own rule, channel, alert and delivery-log API (`/api/alert-rules`,
`/api/alert-channels`, `/api/alerts`, `/api/alert-deliveries`), seed 001's `POST
/api/alerts/test` and `GET /api/alerts/config-status`, and seed 000's `GET /monitor/alerts`.
Rules live in `domain/alerts/`."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy.orm import Session

from cloudfold.api.deps import context, get_runtime, get_session, require
from cloudfold.api.errors import responses
from cloudfold.api.faces.alert_schemas import (
    AlertList,
    AlertOut,
    ChannelIn,
    ChannelOut,
    ChannelStatus,
    ChannelUpdate,
    ConfigStatusOut,
    DeliveryOut,
    KindOut,
    RuleIn,
    RuleOut,
    RuleUpdate,
    SilenceIn,
    TestIn,
    TestOut,
    TestResultOut,
)
from cloudfold.domain.alerts import active, channels, reports, rules
from cloudfold.domain.context import Principal
from cloudfold.runtime import Runtime

api = APIRouter(tags=["alerts"], responses=responses(401, 403, 429))
monitor = APIRouter(tags=["monitor"], responses=responses(401, 403, 429))
ONE = responses(404, 422)
CHANGE = responses(400, 404, 409, 422)
Status = Literal["firing", "resolved", "all"]


# -- rules ----------------------------------------------------------------------------------------------

@api.get("/api/alert-rules", response_model=list[RuleOut], summary="Your alert rules (admins: all)")
def list_rules(session: Session = Depends(get_session), p: Principal = Depends(require("read"))):
    return [RuleOut.of(r) for r in rules.visible(session, p)]


@api.post("/api/alert-rules", response_model=RuleOut, status_code=201, responses=CHANGE,
             summary="Make an alert rule (counts toward the alert_rules quota)")
def create_rule(body: RuleIn, request: Request, session: Session = Depends(get_session),
                runtime: Runtime = Depends(get_runtime), p: Principal = Depends(require("write"))):
    return RuleOut.of(rules.create(session, context(request, p), runtime.settings, body.spec()))


@api.get("/api/alert-rules/kinds", response_model=list[KindOut],
         summary="The rule kinds, their parameters and what they may watch")
def list_kinds(p: Principal = Depends(require("read"))):
    return [KindOut.of(sig) for sig in rules.kinds()]


@api.get("/api/alert-rules/{rule_id}", response_model=RuleOut, responses=ONE, summary="One alert rule")
def get_rule(rule_id: int, session: Session = Depends(get_session), p: Principal = Depends(require("read"))):
    return RuleOut.of(rules.get(session, p, rule_id))


@api.patch("/api/alert-rules/{rule_id}", response_model=RuleOut, responses=CHANGE,
              summary="Change an alert rule (its kind stays)")
def update_rule(rule_id: int, body: RuleUpdate, request: Request, session: Session = Depends(get_session),
                runtime: Runtime = Depends(get_runtime), p: Principal = Depends(require("write"))):
    return RuleOut.of(rules.update(session, context(request, p), rule_id, body.spec(), runtime.events.publish))


@api.delete("/api/alert-rules/{rule_id}", status_code=204, responses=ONE,
               summary="Delete an alert rule and its alerts")
def delete_rule(rule_id: int, request: Request, session: Session = Depends(get_session),
                p: Principal = Depends(require("write"))):
    rules.delete(session, context(request, p), rule_id)
    return Response(status_code=204)


# -- channels -------------------------------------------------------------------------------------------

@api.get("/api/alert-channels", response_model=list[ChannelOut],
            summary="Notification channels: yours and the shared ones (secrets never shown)")
def list_channels(session: Session = Depends(get_session), p: Principal = Depends(require("read"))):
    return [ChannelOut.of(c) for c in channels.visible(session, p)]


@api.post("/api/alert-channels", response_model=ChannelOut, status_code=201, responses=CHANGE,
             summary="Add a channel: an admin's is shared (every alert), a member's gets their own alerts")
def create_channel(body: ChannelIn, request: Request, session: Session = Depends(get_session),
                   runtime: Runtime = Depends(get_runtime), p: Principal = Depends(require("write"))):
    return ChannelOut.of(channels.create(session, context(request, p), runtime.secretbox, runtime.settings,
                                         body.spec()))


@api.get("/api/alert-channels/{channel_id}", response_model=ChannelOut, responses=ONE, summary="One channel")
def get_channel(channel_id: int, session: Session = Depends(get_session), p: Principal = Depends(require("read"))):
    return ChannelOut.of(channels.get(session, p, channel_id))


@api.patch("/api/alert-channels/{channel_id}", response_model=ChannelOut, responses=CHANGE,
              summary="Change a channel (its type stays)")
def update_channel(channel_id: int, body: ChannelUpdate, request: Request, session: Session = Depends(get_session),
                   runtime: Runtime = Depends(get_runtime), p: Principal = Depends(require("write"))):
    return ChannelOut.of(channels.update(session, context(request, p), runtime.secretbox, runtime.settings,
                                         channel_id, body.spec()))


@api.delete("/api/alert-channels/{channel_id}", status_code=204, responses=ONE, summary="Remove a channel")
def delete_channel(channel_id: int, request: Request, session: Session = Depends(get_session),
                   p: Principal = Depends(require("write"))):
    channels.delete(session, context(request, p), channel_id)
    return Response(status_code=204)


@api.get("/api/alert-deliveries", response_model=list[DeliveryOut], responses=ONE,
            summary="The delivery log, newest first (members: their own channels')")
def list_deliveries(channel_id: int | None = None, status: Literal["pending", "sent", "failed"] | None = None,
                    limit: int = Query(50, ge=1, le=500), session: Session = Depends(get_session),
                    p: Principal = Depends(require("read"))):
    return [DeliveryOut.of(d) for d in reports.deliveries(session, p, channel_id=channel_id, status=status,
                                                          limit=limit)]


# -- seed 001 -------------------------------------------------------------------------------------------

@api.post("/api/alerts/test", response_model=TestOut, responses=CHANGE,
             summary="Send a test alert through every channel you may change, or one; per-channel success")
def send_test(request: Request, body: TestIn | None = None, session: Session = Depends(get_session),
              runtime: Runtime = Depends(get_runtime), p: Principal = Depends(require("write"))):
    results = reports.send_tests(session, context(request, p), runtime.secretbox, runtime.settings,
                                 body.channel_id if body else None)
    out = [TestResultOut(channel_id=r.channel.id, name=r.channel.name, type=r.channel.type, success=r.error is None,
                         error=r.error) for r in results]
    failed = sum(not r.success for r in out)
    message = ("no alert channel is configured" if not out else
               "test alert sent" if not failed else f"{failed} of {len(out)} channel(s) failed")
    return TestOut(success=bool(out) and not failed, message=message, sent=len(out) - failed, failed=failed,
                   results=out)


@api.get("/api/alerts/config-status", response_model=ConfigStatusOut,
            summary="Which channels are configured and whether their last delivery worked (no secrets)")
def config_status(session: Session = Depends(get_session), p: Principal = Depends(require("read"))):
    listed = channels.visible(session, p)
    enabled = [c for c in listed if c.enabled]
    return ConfigStatusOut(
        configured=bool(enabled), **{t: any(c.type == t for c in enabled) for t in ("email", "webhook", "apprise")},
        channels=[ChannelStatus(id=c.id, name=c.name, type=c.type, enabled=c.enabled, shared=c.owner_id is None,
                                last_delivery_at=c.last_delivery_at, last_delivery_ok=c.last_delivery_ok,
                                last_error=c.last_error) for c in listed])


# -- alerts ---------------------------------------------------------------------------------------------

@api.get("/api/alerts", response_model=AlertList, responses=responses(422),
            summary="Alerts you may see, newest first (default: firing)")
def list_alerts(status: Status = "firing", rule_id: int | None = None, limit: int = Query(100, ge=1, le=1000),
                session: Session = Depends(get_session), p: Principal = Depends(require("read"))):
    found = [AlertOut.of(a, r) for a, r in active.listed(session, p, status, limit, rule_id)]
    return AlertList(alerts=found, count=len(found))


@api.get("/api/alerts/{alert_id}", response_model=AlertOut, responses=ONE, summary="One alert")
def get_alert(alert_id: int, session: Session = Depends(get_session), p: Principal = Depends(require("read"))):
    return AlertOut.of(*active.get(session, p, alert_id))


@api.post("/api/alerts/{alert_id}/ack", response_model=AlertOut, responses=CHANGE,
             summary="Acknowledge a firing alert: no repeated notifications (its resolution is still sent)")
def ack(alert_id: int, request: Request, session: Session = Depends(get_session),
        p: Principal = Depends(require("write"))):
    return AlertOut.of(*active.acknowledge(session, context(request, p), alert_id))


@api.delete("/api/alerts/{alert_id}/ack", response_model=AlertOut, responses=CHANGE,
               summary="Take an acknowledgement back")
def unack(alert_id: int, request: Request, session: Session = Depends(get_session),
          p: Principal = Depends(require("write"))):
    return AlertOut.of(*active.acknowledge(session, context(request, p), alert_id, on=False))


@api.post("/api/alerts/{alert_id}/silence", response_model=AlertOut, responses=CHANGE,
             summary="Silence a firing alert for a number of minutes")
def silence(alert_id: int, body: SilenceIn, request: Request, session: Session = Depends(get_session),
            p: Principal = Depends(require("write"))):
    return AlertOut.of(*active.silence(session, context(request, p), alert_id, body.minutes))


@api.delete("/api/alerts/{alert_id}/silence", response_model=AlertOut, responses=CHANGE,
               summary="End an alert's silence")
def unsilence(alert_id: int, request: Request, session: Session = Depends(get_session),
              p: Principal = Depends(require("write"))):
    return AlertOut.of(*active.silence(session, context(request, p), alert_id, None))


# -- seed 000 -------------------------------------------------------------------------------------------

@monitor.get("/monitor/alerts", response_model=AlertList, summary="Active alerts")
def monitor_alerts(session: Session = Depends(get_session), p: Principal = Depends(require("read"))):
    found = [AlertOut.of(a, r) for a, r in active.listed(session, p, "firing", 1000)]
    return AlertList(alerts=found, count=len(found))


# one router for `ROUTERS` (api/app.py), each family keeping its tag (seed 000's answers 400 to bad input)
router = APIRouter()
router.include_router(api)
router.include_router(monitor)
