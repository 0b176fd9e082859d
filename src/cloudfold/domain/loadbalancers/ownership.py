"""Whose a load balancer is (`domain/policy`: its maker's; others get 404), and the
`load_balancers` quota."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloudfold.db.models import LoadBalancer
from cloudfold.domain import policy, quotas
from cloudfold.domain.policy.rules import Ownership


@policy.rule(LoadBalancer)
def _load_balancer(lb: LoadBalancer) -> Ownership:
    return Ownership(lb.owner_id)


visible = policy.rules.owned(LoadBalancer.owner_id)


@quotas.register("load_balancers", 5, "Load balancers")
def _load_balancers(session: Session, user_id: int) -> int:
    return session.scalar(select(func.count()).select_from(LoadBalancer).where(LoadBalancer.owner_id == user_id)) or 0
