"""Target health as the proxy's checks see it, read from HAProxy's `show stat`, and kept in the
database by the supervisor (`record`, every `proxy_supervise_seconds`): a change of a target's
state is stored with its time and published as one `load_balancer` `target_state` event to the
balancer's owner, so the monitoring reads target health without asking the proxy — the
`lb_target_unhealthy` alert rule kind below."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloudfold.db.base import utcnow
from cloudfold.db.models import CloudObject, LbTarget, LoadBalancer, Resource
from cloudfold.domain import policy
from cloudfold.domain.alerts.signals import Observation, signal
from cloudfold.domain.loadbalancers.ownership import visible
from cloudfold.proxy import ProxyError, config
from cloudfold.settings import Settings

STATES = ("healthy", "unhealthy", "unknown", "draining")


def state_of(status: str | None) -> str:
    """HAProxy's server status as a target state ("UP 1/3" is up, going down; "DOWN 1/2" down,
    going up)."""
    word = (status or "").split(" ")[0]
    return {"UP": "healthy", "DOWN": "unhealthy", "NOLB": "draining", "DRAIN": "draining",
            "MAINT": "draining"}.get(word, "unknown")


def read(settings: Settings, lb_ids: list[str]) -> dict[str, dict[str, str]]:
    """lb id -> instance id -> state, read once from the proxy (all unknown when it is down)."""
    from cloudfold.domain.loadbalancers.dataplane import haproxy

    try:
        rows = haproxy(settings).stats()
    except ProxyError:
        rows = []
    wanted = {config.backend_name("lb", i): i for i in lb_ids}
    out: dict[str, dict[str, str]] = {i: {} for i in lb_ids}
    for row in rows:
        lb_id = wanted.get(row.get("pxname", ""))
        if lb_id is not None and row.get("svname") not in ("FRONTEND", "BACKEND"):
            out[lb_id][row["svname"]] = state_of(row.get("status"))
    return out


def record(session: Session, settings: Settings, bus: Any = None) -> int:
    """Store every target's state where it changed; the number of changes."""
    targets = list(session.scalars(select(LbTarget)))
    if not targets:
        return 0
    seen = read(settings, sorted({t.lb_id for t in targets}))
    now, changed = utcnow(), []
    for target in targets:
        state = seen.get(target.lb_id, {}).get(target.instance_id, "unknown")
        if state != target.state:
            target.state, target.state_at = state, now
            changed.append(target)
    session.commit()
    if bus is not None:
        for target in changed:
            lb = target.lb
            bus.publish({**policy.event_facts(lb), "type": "load_balancer", "action": "target_state", "id": lb.id,
                         "name": lb.name, "instance_id": target.instance_id, "state": target.state})
    return len(changed)


@signal("lb_target_unhealthy", targets=("resource_id",),
        description="an instance behind a load balancer fails the balancer's health checks")
def _unhealthy(session: Session, rule: Any, now: datetime, env: dict[str, Any]) -> list[Observation]:
    stmt = (select(LbTarget, LoadBalancer.name, Resource.id, Resource.name)
            .join(LoadBalancer, LoadBalancer.id == LbTarget.lb_id)
            .join(CloudObject, CloudObject.id == LbTarget.instance_id)
            .join(Resource, Resource.id == CloudObject.resource_id))
    if rule.resource_id is not None:
        stmt = stmt.where(Resource.id == rule.resource_id)
    out = []
    for target, lb_name, resource_id, name in session.execute(visible(stmt, env["viewer"])):
        ok = {"healthy": True, "unhealthy": False}.get(target.state)  # unknown, draining: no change
        out.append(Observation(f"lb_target:{target.lb_id}:{target.instance_id}", f"{name} behind {lb_name}", ok,
                               detail=f"{name} is {target.state} behind load balancer {lb_name}",
                               resource_id=resource_id))
    return out
