"""Whose a gateway route is (`domain/policy`: its maker's; others get 404), and the `routes`
quota."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloudfold.db.models import GatewayRoute
from cloudfold.domain import policy, quotas
from cloudfold.domain.policy.rules import Ownership


@policy.rule(GatewayRoute)
def _route(route: GatewayRoute) -> Ownership:
    return Ownership(route.owner_id)


visible = policy.rules.owned(GatewayRoute.owner_id)


@quotas.register("routes", 20, "API gateway routes")
def _routes(session: Session, user_id: int) -> int:
    return session.scalar(select(func.count()).select_from(GatewayRoute).where(GatewayRoute.owner_id == user_id)) or 0
