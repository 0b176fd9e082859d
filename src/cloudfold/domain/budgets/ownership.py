"""Who owns budget objects (`domain/policy` rules): a rule, its decisions and a lockdown are
their maker's; admins see and change everything."""

from __future__ import annotations

from cloudfold.db.models import BudgetDecision, BudgetRule, Lockdown
from cloudfold.domain import policy
from cloudfold.domain.policy.rules import Ownership, owned


@policy.rule(BudgetRule)
def _rule(rule: BudgetRule) -> Ownership:
    return Ownership(rule.owner_id)


@policy.rule(Lockdown)
def _lockdown(lockdown: Lockdown) -> Ownership:
    return Ownership(lockdown.owner_id)


rules = owned(BudgetRule.owner_id)
decisions = owned(BudgetDecision.owner_id)
lockdowns = owned(Lockdown.owner_id)
