"""Budget rules: owned by their maker, audited, counted by the `budget_rules` quota. A rule is
a scope (`scope.py`), a period (`periods.py`), an amount and currency, and thresholds in
percent each with an action: `alert` (notify), `stop` (stop running machines in scope, at most
`max_stops` a run) or `lockdown` (stop every unprotected running machine in scope). A new rule
is a dry run (it reports what it would stop) until its owner turns `dry_run` off."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloudfold.db.base import utcnow
from cloudfold.db.models import BudgetRule
from cloudfold.domain import audit, policy, quotas
from cloudfold.domain.budgets import ownership, periods
from cloudfold.domain.budgets.scope import Scope, check as check_scope
from cloudfold.domain.context import Context, Principal
from cloudfold.errors import BadRequest, NotFound
from cloudfold.settings import Settings

ACTIONS = ("alert", "stop", "lockdown")
CURRENCIES = ("USD", "EUR", "GBP", "JPY", "CHF", "CAD", "AUD", "CNY", "INR", "SEK", "NOK", "DKK", "PLN", "BRL")
MICROS = 1_000_000
MAX_AMOUNT_MICROS = 10**15  # a billion units
SCOPE_FIELDS = ("scope", "provider", "account_id", "tag_key", "tag_value")
PLAIN = ("name", "period", "start_day", "amount_micros", "currency", "thresholds", "dry_run", "grace_seconds",
         "max_stops", "protect_label", "enabled")


@quotas.register("budget_rules", 20, "Budget rules")
def _budget_rules(session: Session, user_id: int) -> int:
    return session.scalar(select(func.count()).select_from(BudgetRule).where(BudgetRule.owner_id == user_id)) or 0


@dataclass(frozen=True)
class RuleSpec:
    """What a request gives; `given` names the fields it set."""
    name: str | None = None
    scope: str | None = None
    provider: str | None = None
    account_id: int | None = None
    tag_key: str | None = None
    tag_value: str | None = None
    period: str | None = None
    start_day: int | None = None
    amount_micros: int | None = None
    currency: str | None = None
    thresholds: list[dict[str, Any]] | None = None
    dry_run: bool | None = None
    grace_seconds: int | None = None
    max_stops: int | None = None
    protect_label: str | None = None
    enabled: bool | None = None
    given: frozenset[str] = frozenset()


def _whole(name: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise BadRequest(f"{name} must be a whole number from {low} to {high}")
    return value


def check_thresholds(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not 1 <= len(value) <= 10:
        raise BadRequest("thresholds must be a list of 1 to 10 {percent, action} entries")
    out = []
    for item in value:
        if not isinstance(item, dict) or set(item) - {"percent", "action"}:
            raise BadRequest("each threshold is {percent, action}")
        percent = _whole("threshold percent", item.get("percent"), 1, 1000)
        if item.get("action", "alert") not in ACTIONS:
            raise BadRequest(f"threshold action must be one of: {', '.join(ACTIONS)}")
        out.append({"percent": percent, "action": item.get("action", "alert")})
    if len({t["percent"] for t in out}) != len(out):
        raise BadRequest("threshold percents must differ")
    return sorted(out, key=lambda t: t["percent"])


def check_currency(value: Any) -> str:
    if value not in CURRENCIES:
        raise BadRequest(f"currency must be one of: {', '.join(CURRENCIES)}")
    return value


def _check(name: str, value: Any) -> Any:
    if name == "name":
        if not isinstance(value, str) or not value.strip() or len(value) > 200:
            raise BadRequest("name is required (at most 200 characters)")
        return value.strip()
    if name == "period":
        if value not in periods.PERIODS:
            raise BadRequest(f"period must be one of: {', '.join(periods.PERIODS)}")
        return value
    if name == "start_day":
        return _whole(name, value, 1, 28)
    if name == "amount_micros":
        if isinstance(value, int) and not isinstance(value, bool) and value < 0:
            raise BadRequest("amount must not be negative")
        return _whole("amount (in millionths)", value, 1, MAX_AMOUNT_MICROS)
    if name == "currency":
        return check_currency(value)
    if name == "thresholds":
        return check_thresholds(value)
    if name in ("dry_run", "enabled"):
        if not isinstance(value, bool):
            raise BadRequest(f"{name} must be true or false")
        return value
    if name == "grace_seconds":
        return _whole(name, value, 0, 30 * 24 * 3600)
    if name == "max_stops":
        return _whole(name, value, 0, 1000)
    if not isinstance(value, str) or not value or len(value) > 128:  # protect_label
        raise BadRequest("protect_label must be a label/tag name of 1 to 128 characters")
    return value


def _apply(session: Session, viewer: Principal, rule: BudgetRule, spec: RuleSpec) -> None:
    """Check everything first, then change the rule: bad input changes nothing."""
    changes = {name: _check(name, getattr(spec, name)) for name in PLAIN if name in spec.given}
    if spec.given & set(SCOPE_FIELDS):
        merged = {f: getattr(spec, f) if f in spec.given else getattr(rule, f) for f in SCOPE_FIELDS}
        if "scope" in spec.given:  # a new scope kind starts from its own fields only
            merged = {f: getattr(spec, f) for f in SCOPE_FIELDS}
        changes.update(check_scope(session, viewer, Scope(**merged)).shown())
    for name, value in changes.items():
        setattr(rule, name, value)


def shown(rule: BudgetRule) -> dict[str, Any]:
    return {f: getattr(rule, f) for f in (*SCOPE_FIELDS, *PLAIN)}


def visible(session: Session, viewer: Principal) -> list[BudgetRule]:
    return list(session.scalars(ownership.rules(select(BudgetRule), viewer).order_by(BudgetRule.id)))


def get(session: Session, viewer: Principal | None, rule_id: int, verb: str = policy.SEE) -> BudgetRule:
    rule = session.get(BudgetRule, rule_id)
    if rule is None:
        raise NotFound("Budget rule not found")
    policy.check(viewer, verb, rule, "Budget rule")
    return rule


def scope_of(rule: BudgetRule) -> Scope:
    return Scope(**{f: getattr(rule, f) for f in SCOPE_FIELDS})


def create(session: Session, ctx: Context, settings: Settings, spec: RuleSpec) -> BudgetRule:
    p = ctx.principal
    for required in ("name", "amount_micros"):
        if required not in spec.given:
            raise BadRequest(f"{required.removesuffix('_micros')} is required")
    rule = BudgetRule(owner_id=p.user_id, name="", scope="all", period="monthly", start_day=1, currency="USD",
                      thresholds=[{"percent": 100, "action": "alert"}], dry_run=True, grace_seconds=3600,
                      max_stops=10, protect_label="cloudfold.protect", enabled=True, next_enforce_at=utcnow())
    _apply(session, p, rule, RuleSpec(**{**{f.name: getattr(spec, f.name) for f in fields(spec)},
                                         "scope": spec.scope or "all", "given": spec.given | {"scope"}}))
    if "dry_run" in spec.given and not rule.dry_run and not p.is_admin:
        raise BadRequest("a new rule is a dry run until an admin turns dry_run off")
    quotas.claim(session, settings, p, {"budget_rules": 1})
    session.add(rule)
    session.flush()
    audit.record(session, ctx, "budget_rule.create", target=f"budget_rule:{rule.id}", detail=shown(rule))
    session.commit()
    return rule


def update(session: Session, ctx: Context, rule_id: int, spec: RuleSpec) -> BudgetRule:
    rule = get(session, ctx.principal, rule_id, policy.CHANGE)
    if "dry_run" in spec.given and spec.dry_run is False and rule.dry_run and not ctx.principal.is_admin:
        raise BadRequest("only an admin can turn dry_run off")
    before = shown(rule)
    _apply(session, ctx.principal, rule, spec)
    after = shown(rule)
    audit.record(session, ctx, "budget_rule.update", target=f"budget_rule:{rule.id}",
                 detail={k: {"old": before[k], "new": after[k]} for k in after if before[k] != after[k]})
    session.commit()
    return rule


def delete(session: Session, ctx: Context, rule_id: int) -> None:
    rule = get(session, ctx.principal, rule_id, policy.DELETE)
    audit.record(session, ctx, "budget_rule.delete", target=f"budget_rule:{rule.id}", detail={"name": rule.name})
    session.execute(sa.delete(BudgetRule).where(BudgetRule.id == rule.id))  # marks cascade; decisions stay
    session.commit()
