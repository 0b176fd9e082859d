"""A rule's standing now: its period, what was spent in its scope (as its owner sees it), the
forecast for the period, the percent of the amount, and the thresholds crossed.

Forecast: a monthly period's spend so far at its daily run rate over the whole period
(spent × days in period ÷ days elapsed, today included); a daily period's records are whole
days, so its forecast is what is recorded. Integer millionths throughout."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from cloudfold.db.base import utcnow
from cloudfold.db.models import BudgetRule, User
from cloudfold.domain import users
from cloudfold.domain.budgets import periods, scope
from cloudfold.domain.costs import aggregate as spend  # the one aggregation of spending (issue 11)
from cloudfold.domain.budgets.rules import scope_of
from cloudfold.domain.context import Principal


@dataclass(frozen=True)
class Status:
    rule: BudgetRule
    period_start: date
    period_end: date
    spent: spend.Spend
    forecast_micros: int
    percent: float
    crossed: list[dict[str, Any]]  # the thresholds reached, lowest first

    @property
    def highest(self) -> dict[str, Any] | None:
        return self.crossed[-1] if self.crossed else None


def owner_principal(session: Session, rule: BudgetRule) -> Principal | None:
    """The rule's owner as they are now (None: gone or disabled; the rule then does nothing)."""
    user = session.get(User, rule.owner_id)
    return users.principal_for(user) if user is not None and user.is_active else None


def spent_in_scope(session: Session, owner: Principal, rule: BudgetRule, start: date, end: date) -> spend.Spend:
    s = scope_of(rule)
    ids = [r.id for r in scope.machines(session, owner, s)] if s.scope == "tag" else None
    return spend.spent(session, owner, start=start, end=end, currency=rule.currency, provider=s.provider,
                       account_id=s.account_id, resource_ids=ids)


def of(session: Session, rule: BudgetRule, now: datetime | None = None) -> Status:
    today = (now or utcnow()).date()
    start, end = periods.current(rule.period, rule.start_day, today)
    owner = owner_principal(session, rule)
    used = spent_in_scope(session, owner, rule, start, end) if owner is not None else \
        spend.Spend(0, rule.currency, True, 0)
    elapsed, total = (today - start).days + 1, (end - start).days + 1
    forecast = used.amount_micros * total // elapsed
    percent = round(used.amount_micros * 100 / rule.amount_micros, 2)
    crossed = [t for t in rule.thresholds if percent >= t["percent"]]
    return Status(rule, start, end, used, forecast, percent, crossed)
