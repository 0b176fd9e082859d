"""Gateway routes (seed 003 /routes): a path prefix of the one gateway listener sent to a
target (`resolve`), optionally with the prefix stripped. Prefixes: "/" or "/seg/seg", made of
letters, digits and "._~-" (a trailing "/" is dropped, so "/a/" and "/a" are the same prefix);
one prefix names one route on the gateway (409 when taken, by anyone: the answer does not say
whose); the longest matching prefix wins (cloudfold.proxy.config). Audited, on `/ws`, counted
by the `routes` quota, applied to the running proxy."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from cloudfold.db.models import GatewayRoute
from cloudfold.domain import audit, policy, quotas
from cloudfold.domain.gateway import resolve
from cloudfold.domain.gateway.ownership import visible
from cloudfold.domain.loadbalancers import dataplane
from cloudfold.domain.localcloud import core
from cloudfold.domain.localcloud.core import Cloud
from cloudfold.errors import BadRequest, Conflict, NotFound

SEGMENT = re.compile(r"^[A-Za-z0-9._~-]+$")
TAKEN = "A route with this prefix exists already"


def prefix(value: str) -> str:
    """The normalised prefix, or 400."""
    if not isinstance(value, str) or not value.startswith("/") or len(value) > 255:
        raise BadRequest("prefix must start with '/' (at most 255 characters)")
    trimmed = value.rstrip("/") or "/"
    if trimmed == "/":
        return trimmed
    segments = trimmed[1:].split("/")
    if any(not SEGMENT.match(s) or s in (".", "..") for s in segments):
        raise BadRequest("prefix segments are letters, digits, '.', '_', '~' or '-', separated by single '/' "
                         "('.' and '..' are not segments)")
    return trimmed


def publish(cloud: Cloud, action: str, route: GatewayRoute) -> None:
    cloud.bus.publish({**policy.event_facts(route), "type": "gateway_route", "action": action, "id": route.id,
                       "name": route.name, "prefix": route.prefix})


def list_mine(cloud: Cloud) -> list[GatewayRoute]:
    stmt = select(GatewayRoute).where(GatewayRoute.owner_id == cloud.principal.user_id)
    return list(cloud.session.scalars(stmt.order_by(GatewayRoute.created_at)))


def get(cloud: Cloud, route_id: str) -> GatewayRoute:
    route = cloud.session.scalar(visible(select(GatewayRoute).where(GatewayRoute.id == route_id), cloud.principal))
    if route is None:
        raise NotFound(f"Route {route_id!r} not found")
    return route


def create(cloud: Cloud, name: str, prefix_: str, target: str, *, strip_prefix: bool = False,
           port: int | None = None) -> GatewayRoute:
    core.local_account(cloud)  # a part of the local cloud: none without its engine (409)
    if not cloud.settings.gateway_port:
        raise Conflict("The gateway is off on this server (CLOUDFOLD_GATEWAY_PORT=0)")
    normalised = prefix(prefix_)
    found = resolve.target(cloud, target, port)
    if cloud.session.scalar(select(GatewayRoute.id).where(GatewayRoute.prefix == normalised)) is not None:
        raise Conflict(TAKEN)
    quotas.claim(cloud.session, cloud.settings, cloud.principal, {"routes": 1})
    route = GatewayRoute(id=core.new_id(), owner_id=cloud.principal.user_id, name=name, prefix=normalised,
                         target=target, target_kind=found.kind, target_id=found.id, target_port=found.port,
                         target_host=found.host, strip_prefix=strip_prefix)
    cloud.session.add(route)
    detail: dict[str, Any] = {"name": name, "prefix": normalised, "target": target, "target_kind": found.kind,
                              "strip_prefix": strip_prefix}
    audit.record(cloud.session, cloud.ctx, "route.create", target=f"route:{route.id}", detail=detail)
    try:
        cloud.session.commit()
    except IntegrityError:
        cloud.session.rollback()
        raise Conflict(TAKEN) from None
    publish(cloud, "create", route)
    dataplane.apply(cloud.session, cloud.settings)
    return route


def delete(cloud: Cloud, route_id: str) -> GatewayRoute:
    route = get(cloud, route_id)
    policy.check(cloud.principal, policy.DELETE, route, "Route")
    audit.record(cloud.session, cloud.ctx, "route.delete", target=f"route:{route.id}",
                 detail={"name": route.name, "prefix": route.prefix})
    cloud.session.delete(route)
    cloud.session.commit()
    publish(cloud, "delete", route)
    dataplane.apply(cloud.session, cloud.settings)
    return route
