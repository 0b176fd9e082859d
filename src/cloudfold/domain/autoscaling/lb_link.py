"""The one place a group talks to load balancers (`cloudfold.domain.loadbalancers`): check the
caller's balancer, register and drain the group's instances, read their health."""

from __future__ import annotations

from cloudfold.domain import loadbalancers
from cloudfold.domain.loadbalancers import service
from cloudfold.errors import NotFound


def check(cloud, lb_id: str) -> None:
    """The load balancer exists and is the caller's (its own 404 otherwise)."""
    service.get(cloud, lb_id)


def attach(cloud, lb_id: str, instance_id: str, port: int) -> None:
    loadbalancers.attach(cloud, lb_id, instance_id, port)  # the same target again changes nothing


def detach(cloud, lb_id: str, instance_id: str) -> None:
    """Drain one instance; one that is not a target (never attached, or already dropped because
    it was terminated) is already drained."""
    try:
        loadbalancers.detach(cloud, lb_id, instance_id)
    except NotFound:
        pass


def target_health(cloud, lb_id: str) -> dict[str, str]:
    """instance id -> state ("healthy", "unhealthy", …) as the load balancer's checks see it."""
    return dict(loadbalancers.target_health(cloud, lb_id))
