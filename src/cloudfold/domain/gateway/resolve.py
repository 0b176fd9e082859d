"""What a route's target names. By id: one of the caller's load balancers or instances (an
instance's port: the one given, else the first it publishes). By URL (`http://host:port`): a
load balancer's or instance's name (`http://auth-service:8080`, as seed 003's example) or own
address is that object — when it is the caller's; any other
URL goes through the egress rule, so a member's route never reaches loopback, private,
link-local or metadata addresses (other users' objects included) unless `egress_allow` lists
them. What resolves is stored; the proxy is given only that."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select

from cloudfold.db.models import CloudObject, LoadBalancer
from cloudfold.domain import egress
from cloudfold.domain.loadbalancers import dataplane
from cloudfold.domain.loadbalancers.ownership import visible
from cloudfold.domain.localcloud import core
from cloudfold.domain.localcloud.core import Cloud
from cloudfold.errors import BadRequest, Conflict, NotFound


@dataclass(frozen=True)
class Target:
    kind: str  # instance | load_balancer | url
    id: str | None = None
    port: int | None = None
    host: str | None = None


def _lb(cloud: Cloud, lb_id: str) -> LoadBalancer | None:
    return cloud.session.scalar(visible(select(LoadBalancer).where(LoadBalancer.id == lb_id), cloud.principal))


def _instance(cloud: Cloud, instance: CloudObject, port: int | None) -> Target:
    if not dataplane.live(instance):
        raise Conflict(f"Instance {instance.id!r} is terminated")
    published = [int(c) for _, c, proto in instance.spec.get("ports") or [] if proto == "tcp"]
    if port is None and published:
        port = published[0]
    if port is None or dataplane.published(cloud.settings, instance, port) is None:
        raise BadRequest(f"Instance {instance.id!r} publishes no such port on the host: launch it with ports")
    return Target("instance", instance.id, port)


def _by_id(cloud: Cloud, target: str, port: int | None) -> Target:
    lb = _lb(cloud, target)
    if lb is not None:
        return Target("load_balancer", lb.id)
    try:
        instance = core.get(cloud, "instance", target)
    except NotFound:
        raise NotFound(f"Target {target!r} not found: name one of your instances or load balancers") from None
    return _instance(cloud, instance, port)


def _own_name(cloud: Cloud, host: str, port: int | None) -> Target | None:
    """`http://<name>[:port]`, as seed 003's example `http://auth-service:8080`: the caller's
    load balancer of that name, or instance of that name (its own or engine name) and port."""
    lb = cloud.session.scalar(visible(select(LoadBalancer).where(LoadBalancer.name == host), cloud.principal))
    if lb is not None:
        return Target("load_balancer", lb.id)
    named = [i for i in core.mine(cloud, "instance") if host in (i.name, i.resource.name) and dataplane.live(i)]
    return _instance(cloud, named[0], port) if named else None


def _own_address(cloud: Cloud, host: str, port: int) -> Target | None:
    """The caller's load balancer or instance listening at host:port, if any."""
    settings = cloud.settings
    if host == settings.lb_bind:
        lb = cloud.session.scalar(visible(select(LoadBalancer).where(LoadBalancer.port == port), cloud.principal))
        if lb is not None:
            return Target("load_balancer", lb.id)
    if host == settings.local_publish_ip:
        for instance in core.mine(cloud, "instance"):
            for host_port, inner, proto in instance.spec.get("ports") or []:
                if int(host_port) == port and proto == "tcp":
                    return _instance(cloud, instance, int(inner))
    return None


def _by_url(cloud: Cloud, url: str) -> Target:
    try:
        parts = urlsplit(url)
        given = parts.port
    except ValueError:
        raise BadRequest("target: malformed URL") from None
    if parts.scheme != "http" or parts.path not in ("", "/") or parts.query or parts.fragment:
        raise BadRequest("target: a URL target is http://host[:port] (no path; the proxy speaks plain HTTP to it)")
    port = given or 80
    own = _own_name(cloud, parts.hostname or "", given) or _own_address(cloud, parts.hostname or "", port)
    if own is not None:
        return own
    trusted = cloud.principal is not None and cloud.principal.is_admin
    approved = egress.check_url(url, trusted=trusted, settings=cloud.settings, what="target")
    if not approved.addresses:
        raise BadRequest("target: the URL's host does not resolve")
    return Target("url", port=approved.port or port, host=approved.addresses[0])


def target(cloud: Cloud, value: str, port: int | None = None) -> Target:
    value = value.strip()
    if "://" in value:
        return _by_url(cloud, value)
    return _by_id(cloud, value, port)
