"""A load balancer's targets: its owner's instances (by id) and a port of each, which the
instance must publish on the host (dataplane.published). Anything else is refused: another
user's instance is the same 404 as an unknown one, so no address outside the caller's own
objects is ever put behind their listener. Target states come from HAProxy's `show stat`.

These three functions are the interface the autoscaling groups (issue 13B) call."""

from __future__ import annotations

from sqlalchemy import select

from cloudfold.db.models import CloudObject, LbTarget
from cloudfold.domain import audit, policy
from cloudfold.domain.loadbalancers import dataplane, health, service
from cloudfold.domain.localcloud import core
from cloudfold.domain.localcloud.core import Cloud
from cloudfold.errors import BadRequest, Conflict, NotFound

STATES = health.STATES


def _instance(cloud: Cloud, instance_id: str, port: int) -> CloudObject:
    instance = core.get(cloud, "instance", instance_id)
    if not dataplane.live(instance):
        raise Conflict(f"Instance {instance_id!r} is terminated")
    if dataplane.published(cloud.settings, instance, port) is None:
        raise BadRequest(f"Instance {instance_id!r} does not publish port {port}/tcp on the host: launch it with "
                         f"ports [\"0:{port}\"] (any free host port) or a host port of your range")
    return instance


def attach(cloud: Cloud, lb_id: str, instance_id: str, port: int) -> None:
    """Put one of the caller's instances (its ``port``) behind the load balancer; attaching it
    again with another port changes the port, with the same port changes nothing (a
    reconciler may call it every round)."""
    lb = service.get(cloud, lb_id)
    policy.check(cloud.principal, policy.CHANGE, lb, "Load balancer")
    instance = _instance(cloud, instance_id, port)
    target = cloud.session.get(LbTarget, (lb.id, instance.id))
    if target is not None and target.port == port:
        return
    if target is None:
        lb.targets.append(LbTarget(lb_id=lb.id, instance_id=instance.id, port=port))
    else:
        target.port = port
    audit.record(cloud.session, cloud.ctx, "load_balancer.target_add", target=f"load_balancer:{lb.id}",
                 detail={"instance_id": instance.id, "port": port})
    cloud.session.commit()
    service.publish(cloud, "target_add", lb, instance_id=instance.id)
    dataplane.apply(cloud.session, cloud.settings)


def detach(cloud: Cloud, lb_id: str, instance_id: str) -> None:
    lb = service.get(cloud, lb_id)
    policy.check(cloud.principal, policy.CHANGE, lb, "Load balancer")
    target = cloud.session.get(LbTarget, (lb.id, instance_id))
    if target is None:
        raise NotFound(f"Instance {instance_id!r} is not a target of this load balancer")
    lb.targets.remove(target)  # delete-orphan: the row goes with it
    audit.record(cloud.session, cloud.ctx, "load_balancer.target_remove", target=f"load_balancer:{lb.id}",
                 detail={"instance_id": instance_id})
    cloud.session.commit()
    service.publish(cloud, "target_remove", lb, instance_id=instance_id)
    dataplane.apply(cloud.session, cloud.settings)


def states(cloud: Cloud, lb_ids: list[str]) -> dict[str, dict[str, str]]:
    """lb id -> instance id -> state, read live from the proxy (all unknown when it is down)."""
    return health.read(cloud.settings, lb_ids)


def health_of(cloud: Cloud, lbs: list) -> dict[str, dict[str, str]]:
    """lb id -> instance_id -> healthy | unhealthy | unknown | draining, for every target of
    each load balancer (one read of the proxy; a target it does not report is unknown)."""
    seen = states(cloud, [lb.id for lb in lbs])
    return {lb.id: {t.instance_id: seen[lb.id].get(t.instance_id, "unknown") for t in lb.targets} for lb in lbs}


def target_health(cloud: Cloud, lb_id: str) -> dict[str, str]:
    """instance_id -> state, for each target of the LB."""
    lb = service.get(cloud, lb_id)
    return health_of(cloud, [lb])[lb.id]


def targets(cloud: Cloud, lb_id: str) -> list[LbTarget]:
    return list(service.get(cloud, lb_id).targets)


def instances_of(cloud: Cloud, ids: list[str]) -> dict[str, CloudObject]:
    return {o.id: o for o in cloud.session.scalars(select(CloudObject).where(CloudObject.id.in_(ids)))} if ids else {}
