"""Shapes of seed 001's budget API: rules, status, enforcement runs and their decisions.
Amounts are shown in currency units (and exact integer millionths as `*_micros`)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from pydantic import BaseModel, ConfigDict, Field

from cloudfold.db.models import BudgetDecision, BudgetRule
from cloudfold.domain.budgets import enforce
from cloudfold.domain.budgets.rules import MICROS, RuleSpec
from cloudfold.domain.budgets.status import Status
from cloudfold.domain.inputs import PlainText
from cloudfold.errors import BadRequest


def micros(amount: Decimal | None) -> int | None:
    if amount is None:
        return None
    if not amount.is_finite():
        raise BadRequest("amount must be a number")
    try:
        value = amount * MICROS
    except InvalidOperation as exc:  # too many digits for the context
        raise BadRequest("amount must be a number") from exc
    if value != value.to_integral_value():
        raise BadRequest("amount has more than 6 decimal places")
    return int(value)


def units(value: int) -> float:
    return value / MICROS


class Threshold(BaseModel):
    model_config = ConfigDict(extra="forbid")
    percent: int = Field(description="percent of the amount, e.g. 80")
    action: str = Field("alert", description="alert | stop | lockdown")


class RuleUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: PlainText | None = Field(default=None, max_length=200)
    scope: str | None = Field(default=None, description="all | provider | account | tag")
    provider: str | None = Field(default=None, description="scope provider: the provider type (aws, local, …)")
    account_id: int | None = Field(default=None, description="scope account: the account's id")
    tag_key: str | None = Field(default=None, max_length=128, description="scope tag: machines with this tag/label")
    tag_value: str | None = Field(default=None, max_length=256, description="… and this value (default: any)")
    period: str | None = Field(default=None, description="monthly | daily")
    start_day: int | None = Field(default=None, description="monthly: day of the month a period starts (1-28)")
    amount: Decimal | None = Field(default=None, description="the budget, in currency units")
    currency: str | None = Field(default=None, description="ISO 4217 code, e.g. USD")
    thresholds: list[Threshold] | None = None
    dry_run: bool | None = Field(default=None, description="report only (the default for a new rule; "
                                                           "only an admin turns it off)")
    grace_seconds: int | None = Field(default=None, description="seconds between marking a machine and stopping it")
    max_stops: int | None = Field(default=None, description="machines stopped per enforcement run, at most")
    protect_label: str | None = Field(default=None, description="machines with this tag/label are never stopped")
    enabled: bool | None = None

    def spec(self) -> RuleSpec:
        data = self.model_dump(exclude={"amount", "thresholds"})
        given = {k for k in self.model_fields_set if getattr(self, k) is not None or k in ("tag_value",)}
        if "amount" in given:
            given = (given - {"amount"}) | {"amount_micros"}
        return RuleSpec(**data, amount_micros=micros(self.amount),
                        thresholds=[t.model_dump() for t in self.thresholds] if self.thresholds is not None else None,
                        given=frozenset(given))


class RuleIn(RuleUpdate):
    name: PlainText = Field(min_length=1, max_length=200)
    amount: Decimal = Field(description="the budget, in currency units")


class ThresholdOut(BaseModel):
    percent: int
    action: str


class RuleOut(BaseModel):
    id: int
    owner_id: int
    name: str
    scope: str
    provider: str | None
    account_id: int | None
    tag_key: str | None
    tag_value: str | None
    period: str
    start_day: int
    amount: float
    amount_micros: int
    currency: str
    thresholds: list[ThresholdOut]
    dry_run: bool
    grace_seconds: int
    max_stops: int
    protect_label: str
    enabled: bool
    last_enforced_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, rule: BudgetRule) -> RuleOut:
        return cls(**{f: getattr(rule, f) for f in cls.model_fields if f != "amount"},
                   amount=units(rule.amount_micros))


class StatusOut(BaseModel):
    rule_id: int
    name: str
    period: str
    period_start: date
    period_end: date
    currency: str
    amount: float
    spent: float
    spent_micros: int
    forecast: float
    forecast_micros: int
    percent: float
    priced: bool = Field(description="false: some spending in scope has no known price")
    crossed: ThresholdOut | None = Field(description="the highest threshold crossed, if any")
    thresholds_crossed: list[ThresholdOut]
    status: str = Field(description="ok | warning (a threshold crossed) | exceeded (100% or more)")
    dry_run: bool

    @classmethod
    def of(cls, s: Status) -> StatusOut:
        r = s.rule
        return cls(rule_id=r.id, name=r.name, period=r.period, period_start=s.period_start, period_end=s.period_end,
                   currency=r.currency, amount=units(r.amount_micros), spent=units(s.spent.amount_micros),
                   spent_micros=s.spent.amount_micros, forecast=units(s.forecast_micros),
                   forecast_micros=s.forecast_micros, percent=s.percent, priced=s.spent.priced,
                   crossed=s.highest, thresholds_crossed=s.crossed, dry_run=r.dry_run,
                   status="exceeded" if s.percent >= 100 else "warning" if s.crossed else "ok")


class StatusList(BaseModel):
    budgets: list[StatusOut]
    total: int


class EnforceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rule_id: int | None = Field(default=None, description="enforce one rule (default: every rule you may change)")
    dry_run: bool = Field(False, description="report what would happen for every rule, change nothing")


class DecisionOut(BaseModel):
    id: int
    rule_id: int | None
    run_id: str
    period_start: date
    threshold: int | None
    action: str | None
    decision: str
    resource_id: int | None
    resource_name: str | None
    reason: str
    dry_run: bool
    stop_at: datetime | None
    spent: float
    created_at: datetime

    @classmethod
    def of(cls, d: BudgetDecision) -> DecisionOut:
        return cls(**{f: getattr(d, f) for f in cls.model_fields if f != "spent"}, spent=units(d.spent_micros))


class EnforceOut(BaseModel):
    run_id: str
    rules: int
    stopped: int
    marked: int
    would_stop: int
    decisions: list[DecisionOut]

    @classmethod
    def of(cls, run: enforce.Run) -> EnforceOut:
        return cls(run_id=run.run_id, rules=run.rules, stopped=run.count("stopped"), marked=run.count("marked"),
                   would_stop=run.count("would_stop"), decisions=[DecisionOut.of(d) for d in run.decisions])
