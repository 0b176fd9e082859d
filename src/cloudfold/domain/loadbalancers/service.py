"""Load balancers (seed 003 /loadbalancers): create, read, change, delete, each audited and
published on `/ws`, then applied to the running proxy (`dataplane.apply`).

Ports: one given must be free (no other load balancer, not the gateway's, nothing on the host
holding it: 409) and, for members, inside `lb_port_range` (403, as host ports are); none given:
the first free port of that range. Names are unique per owner (409)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from cloudfold.db.models import GatewayRoute, LoadBalancer
from cloudfold.domain import audit, events, policy, quotas
from cloudfold.domain.loadbalancers import dataplane
from cloudfold.domain.loadbalancers.ownership import visible
from cloudfold.domain.localcloud import core
from cloudfold.domain.localcloud.core import Cloud
from cloudfold.domain.localcloud.instances import _free_on_host as free_on_host
from cloudfold.errors import BadRequest, Conflict, Forbidden, NotFound
from cloudfold.proxy import Health
from cloudfold.proxy.config import ALGORITHMS

PORT_TAKEN = "The port is not available: it is in use. Choose another port"


def publish(cloud: Cloud, action: str, lb: LoadBalancer, **extra: Any) -> None:
    cloud.bus.publish({**policy.event_facts(lb), "type": "load_balancer", "action": action, "id": lb.id,
                       "name": lb.name, "port": lb.port, **extra})


def list_mine(cloud: Cloud) -> list[LoadBalancer]:
    stmt = select(LoadBalancer).where(LoadBalancer.owner_id == cloud.principal.user_id)
    return list(cloud.session.scalars(stmt.order_by(LoadBalancer.created_at)))


def get(cloud: Cloud, lb_id: str) -> LoadBalancer:
    lb = cloud.session.scalar(visible(select(LoadBalancer).where(LoadBalancer.id == lb_id), cloud.principal))
    if lb is None:
        raise NotFound(f"Load balancer {lb_id!r} not found")
    return lb


def health_check(given: dict[str, Any] | None, base: dict[str, Any] | None = None) -> dict[str, Any]:
    """The health check with defaults filled in; a timeout longer than the interval is a 400."""
    check = {**asdict(Health()), **(base or {}), **{k: v for k, v in (given or {}).items() if v is not None}}
    if check["timeout_s"] > check["interval_s"]:
        raise BadRequest("health_check.timeout_s must not exceed health_check.interval_s")
    return check


def _algorithm(value: str) -> str:
    if value not in ALGORITHMS:
        raise BadRequest(f"algorithm must be one of: {', '.join(ALGORITHMS)}")
    return value


def _taken(cloud: Cloud, port: int, lb_id: str | None = None) -> bool:
    other = cloud.session.scalar(select(LoadBalancer.id).where(LoadBalancer.port == port))
    return (other is not None and other != lb_id) or port == cloud.settings.gateway_port or (
        other is None and not free_on_host(cloud.settings.lb_bind, port, "tcp"))


def _port(cloud: Cloud, port: int | None, lb_id: str | None = None) -> int:
    settings = cloud.settings
    if port is None:
        chosen = next((p for p in settings.lb_ports if not _taken(cloud, p)), None)
        if chosen is None:
            raise Conflict(f"No free port is left in {settings.lb_port_range}")
        return chosen
    if quotas.enforced(cloud.principal) and port not in settings.lb_ports:
        raise Forbidden(f"port {port} is outside the range load balancers may use: {settings.lb_port_range}",
                        detail={"allowed": settings.lb_port_range})
    if _taken(cloud, port, lb_id):
        raise Conflict(PORT_TAKEN)
    return port


def _vpc(cloud: Cloud, vpc_id: str | None) -> str | None:
    return core.get(cloud, "vpc", vpc_id).id if vpc_id else None


def _commit(cloud: Cloud) -> None:
    try:
        cloud.session.commit()
    except IntegrityError:
        cloud.session.rollback()
        raise Conflict("A load balancer with this name or port exists already") from None


def _name_free(cloud: Cloud, name: str, lb_id: str | None = None) -> None:
    other = cloud.session.scalar(select(LoadBalancer.id).where(LoadBalancer.owner_id == cloud.principal.user_id,
                                                               LoadBalancer.name == name))
    if other is not None and other != lb_id:
        raise Conflict(f"You have a load balancer named {name!r} already")


def create(cloud: Cloud, name: str, *, port: int | None = None, algorithm: str = "round_robin",
           health: dict[str, Any] | None = None, vpc_id: str | None = None) -> LoadBalancer:
    core.local_account(cloud)  # a part of the local cloud: none without its engine (409)
    fields = {"algorithm": _algorithm(algorithm), "health_check": health_check(health), "vpc_id": _vpc(cloud, vpc_id)}
    _name_free(cloud, name)
    quotas.claim(cloud.session, cloud.settings, cloud.principal, {"load_balancers": 1})
    lb = LoadBalancer(id=core.new_id(), owner_id=cloud.principal.user_id, name=name, port=_port(cloud, port), **fields)
    cloud.session.add(lb)
    audit.record(cloud.session, cloud.ctx, "load_balancer.create", target=f"load_balancer:{lb.id}",
                 detail={"name": name, "port": lb.port, **fields})
    _commit(cloud)
    publish(cloud, "create", lb)
    dataplane.apply(cloud.session, cloud.settings)
    return lb


def update(cloud: Cloud, lb_id: str, changes: dict[str, Any]) -> LoadBalancer:
    """Change the fields given (name, port, algorithm, health_check)."""
    lb = get(cloud, lb_id)
    policy.check(cloud.principal, policy.CHANGE, lb, "Load balancer")
    if changes.get("name") is not None:
        _name_free(cloud, changes["name"], lb.id)
        lb.name = changes["name"]
    if changes.get("algorithm") is not None:
        lb.algorithm = _algorithm(changes["algorithm"])
    if changes.get("health_check") is not None:
        lb.health_check = health_check(changes["health_check"], lb.health_check)
    if changes.get("port") is not None and changes["port"] != lb.port:
        lb.port = _port(cloud, changes["port"], lb.id)
    audit.record(cloud.session, cloud.ctx, "load_balancer.update", target=f"load_balancer:{lb.id}",
                 detail={k: v for k, v in changes.items() if v is not None})
    _commit(cloud)
    publish(cloud, "update", lb)
    dataplane.apply(cloud.session, cloud.settings)
    return lb


def delete(cloud: Cloud, lb_id: str) -> LoadBalancer:
    lb = get(cloud, lb_id)
    policy.check(cloud.principal, policy.DELETE, lb, "Load balancer")
    route = cloud.session.scalar(select(GatewayRoute.prefix).where(GatewayRoute.target_kind == "load_balancer",
                                                                   GatewayRoute.target_id == lb.id))
    if route is not None:
        raise Conflict(f"The gateway route {route!r} sends traffic to this load balancer: delete it first")
    audit.record(cloud.session, cloud.ctx, "load_balancer.delete", target=f"load_balancer:{lb.id}",
                 detail={"name": lb.name, "port": lb.port})
    cloud.session.delete(lb)
    cloud.session.commit()
    publish(cloud, "delete", lb)
    dataplane.apply(cloud.session, cloud.settings)
    return lb
