"""Alert rules: owned by their maker, audited, counted by the `alert_rules` quota. A rule is a
kind (a signal source, `signals.py`), its parameters, optionally one object it watches
(resource, monitor or account; none: everything its owner may see), a severity and its
hysteresis (open after `open_after` failing evaluations, resolve after `resolve_after` good ones)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloudfold.db.base import utcnow
from cloudfold.db.models import Account, AlertRule, Resource
from cloudfold.domain import audit, policy, quotas
from cloudfold.domain.alerts import evaluate, ownership, signals
from cloudfold.domain.context import Context, Principal
from cloudfold.domain.monitors import service as monitors
from cloudfold.errors import BadRequest, NotFound
from cloudfold.settings import Settings

SEVERITIES = ("info", "warning", "critical")
TARGETS = ("resource_id", "monitor_id", "account_id")


@quotas.register("alert_rules", 20, "Alert rules")
def _alert_rules(session: Session, user_id: int) -> int:
    return session.scalar(select(func.count()).select_from(AlertRule).where(AlertRule.owner_id == user_id)) or 0


@dataclass(frozen=True)
class RuleSpec:
    """What a request gives (None: not given; for targets, `UNSET` keeps the current one)."""
    name: str | None = None
    kind: str | None = None
    params: dict[str, Any] | None = None
    resource_id: int | None = None
    monitor_id: int | None = None
    account_id: int | None = None
    severity: str | None = None
    open_after: int | None = None
    resolve_after: int | None = None
    enabled: bool | None = None
    given: frozenset[str] = frozenset()  # the fields the request named (a target may be set to null)


def visible(session: Session, viewer: Principal) -> list[AlertRule]:
    return list(session.scalars(ownership.rules(select(AlertRule), viewer).order_by(AlertRule.id)))


def kinds() -> list[signals.Signal]:
    """Every rule kind."""
    return list(signals.SIGNALS.values())


def get(session: Session, viewer: Principal, rule_id: int, verb: str = policy.SEE) -> AlertRule:
    return ownership.fetch(session, viewer, AlertRule, rule_id, verb, "Alert rule")


def _check_target(session: Session, viewer: Principal, sig: signals.Signal, name: str, value: int | None) -> None:
    if value is None:
        return
    if name not in sig.targets:
        raise BadRequest(f"{name}: a {sig.kind} rule watches {' or '.join(sig.targets)}, not this")
    if name == "resource_id":
        if ownership.fetch(session, viewer, Resource, value, policy.SEE, "Resource").vanished:
            raise NotFound("Resource not found")
    elif name == "account_id":
        ownership.fetch(session, viewer, Account, value, policy.SEE, "Account")
    else:
        _check_monitor(session, viewer, value)


def _check_monitor(session: Session, viewer: Principal, monitor_id: int) -> None:
    monitors.get(session, viewer, monitor_id)  # 404 for a monitor the viewer may not see


def _apply(session: Session, viewer: Principal, rule: AlertRule, spec: RuleSpec) -> None:
    sig = signals.get(rule.kind)
    if "name" in spec.given:
        if not spec.name:
            raise BadRequest("name is required")
        rule.name = spec.name
    if "params" in spec.given or rule.params is None:
        rule.params = signals.check_params(sig, spec.params)
    for name in TARGETS:
        if name in spec.given:
            _check_target(session, viewer, sig, name, getattr(spec, name))
            setattr(rule, name, getattr(spec, name))
    if "severity" in spec.given:
        if spec.severity not in SEVERITIES:
            raise BadRequest(f"severity must be one of: {', '.join(SEVERITIES)}")
        rule.severity = spec.severity
    for name in ("open_after", "resolve_after"):
        if name in spec.given:
            value = getattr(spec, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 100:
                raise BadRequest(f"{name} must be an integer from 1 to 100")
            setattr(rule, name, value)
    if "enabled" in spec.given:
        if not isinstance(spec.enabled, bool):
            raise BadRequest("enabled must be true or false")
        rule.enabled = spec.enabled


def _shown(rule: AlertRule) -> dict[str, Any]:
    return {f: getattr(rule, f) for f in ("name", "kind", "params", "severity", "open_after", "resolve_after",
                                          "enabled", *TARGETS)}


def create(session: Session, ctx: Context, settings: Settings, spec: RuleSpec) -> AlertRule:
    p = ctx.principal
    sig = signals.get(spec.kind)
    rule = AlertRule(owner_id=p.user_id, kind=sig.kind, name="", params=None, severity="warning", open_after=3,
                     resolve_after=2, enabled=True, next_eval_at=utcnow())
    _apply(session, p, rule, RuleSpec(**{**{f.name: getattr(spec, f.name) for f in fields(spec)},
                                         "given": spec.given | {"name"}}))
    quotas.claim(session, settings, p, {"alert_rules": 1})
    session.add(rule)
    session.flush()
    audit.record(session, ctx, "alert_rule.create", target=f"alert_rule:{rule.id}", detail=_shown(rule))
    session.commit()
    return rule


def update(session: Session, ctx: Context, rule_id: int, spec: RuleSpec,
           publish: Callable[[dict[str, Any]], None] = lambda event: None) -> AlertRule:
    """Change a rule; disabling it resolves its firing alerts (nothing evaluates them any more)."""
    rule = get(session, ctx.principal, rule_id, policy.CHANGE)
    if "kind" in spec.given and spec.kind != rule.kind:
        raise BadRequest("kind cannot be changed; make a new rule")
    was_enabled = rule.enabled
    _apply(session, ctx.principal, rule, spec)
    events = evaluate.end_all(session, rule, utcnow(), "the rule was disabled") if was_enabled and not rule.enabled \
        else []
    audit.record(session, ctx, "alert_rule.update", target=f"alert_rule:{rule.id}",
                 detail={"fields": sorted(spec.given - {"kind"})})
    session.commit()
    for event in events:
        publish(event)
    return rule


def delete(session: Session, ctx: Context, rule_id: int) -> None:
    rule = get(session, ctx.principal, rule_id, policy.DELETE)
    audit.record(session, ctx, "alert_rule.delete", target=f"alert_rule:{rule.id}")
    session.execute(sa.delete(AlertRule).where(AlertRule.id == rule.id))  # its states and alerts cascade
    session.commit()
