"""Autoscaling groups: made, read, changed and deleted by their owner (admins: any), audited
(`autoscaling_group.*`) and told on `/ws` (`autoscaling.group`); counted by the
`autoscaling_groups` quota. A change asks for a reconcile round at once (the schedule runs
them anyway); a delete drains and terminates the group's instances (or keeps them) under the
group's lease, leaving it to the reconciler when a round holds the group for too long."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from sqlalchemy import select

from cloudfold.db.models import AutoscalingGroup
from cloudfold.domain import audit, policy, quotas
from cloudfold.domain.autoscaling import (
    activities,
    lb_link,
    members,
    ownership,
    reconcile,
    specs,
)
from cloudfold.domain.localcloud import core
from cloudfold.errors import BadRequest, Conflict, NotFound

STORED = ("name", "template", "min_size", "max_size", "desired_capacity", "load_balancer_id", "target_port",
          "policy", "health_check_grace_s")
DELETE_WAIT_SECONDS = 30.0


def _spec_of(group: AutoscalingGroup) -> specs.GroupSpec:
    return specs.GroupSpec(**{f: getattr(group, f) for f in STORED}, given=frozenset(STORED))


def _event(group: AutoscalingGroup, action: str) -> dict[str, Any]:
    return {**policy.event_facts(group), "type": "autoscaling.group", "action": action, "group_id": group.id,
            "name": group.name, "desired_capacity": group.desired_capacity}


def _reconcile_soon(queue, group: AutoscalingGroup) -> None:
    if queue is not None:
        queue.enqueue("autoscaling.reconcile", {"group_id": group.id})


def shown(cloud: core.Cloud, group: AutoscalingGroup) -> dict[str, Any]:
    mine = members.of(cloud, group)
    return {**{f: getattr(group, f) for f in STORED}, "id": group.id, "status": group.status,
            "current_count": len(mine), "instances": [{"id": o.id, "name": o.name, "status": o.resource.status}
                                                      for o in mine],
            "created_at": group.created_at, "updated_at": group.updated_at}


def visible(cloud: core.Cloud) -> list[AutoscalingGroup]:
    return list(cloud.session.scalars(ownership.groups(select(AutoscalingGroup), cloud.principal)
                                      .order_by(AutoscalingGroup.created_at)))


def get(cloud: core.Cloud, group_id: str, verb: str = policy.SEE) -> AutoscalingGroup:
    group = cloud.session.get(AutoscalingGroup, group_id)
    if group is None:
        raise NotFound(f"Autoscaling group {group_id!r} not found")
    policy.check(cloud.principal, verb, group, "Autoscaling group")
    return group


def _checked_lb(cloud: core.Cloud, spec: specs.GroupSpec) -> None:
    if spec.load_balancer_id is not None:
        lb_link.check(cloud, spec.load_balancer_id)  # 400 while load balancers are not available


def create(cloud: core.Cloud, spec: specs.GroupSpec, queue=None) -> AutoscalingGroup:
    spec = specs.checked(spec)
    _checked_lb(cloud, spec)
    group = AutoscalingGroup(id=core.new_id(), owner_id=cloud.principal.user_id, status="active", next_number=1,
                             keep_instances=False, **{f: getattr(spec, f) for f in STORED})
    members.check_template(cloud, group)
    quotas.claim(cloud.session, cloud.settings, cloud.principal, {"autoscaling_groups": 1})
    cloud.session.add(group)
    cloud.session.flush()
    audit.record(cloud.session, cloud.ctx, "autoscaling_group.create", target=f"autoscaling_group:{group.id}",
                 detail={f: getattr(group, f) for f in STORED if f != "template"}
                 | {"template": {k: v for k, v in group.template.items() if k != "env"}})
    cloud.session.commit()
    cloud.bus.publish(_event(group, "create"))
    _reconcile_soon(queue, group)
    return group


def update(cloud: core.Cloud, group_id: str, change: specs.GroupSpec, queue=None) -> AutoscalingGroup:
    group = get(cloud, group_id, policy.CHANGE)
    if group.status == reconcile.DELETING:
        raise Conflict(f"Autoscaling group {group.name!r} is being deleted")
    current = _spec_of(group)
    if "template" in change.given:  # the template's fields given replace those kept
        change = specs.GroupSpec(**{**{f.name: getattr(change, f.name) for f in fields(change)},
                                    "template": {**current.template, **change.template}})
    if "load_balancer_id" in change.given and change.load_balancer_id != group.load_balancer_id:
        raise BadRequest("load_balancer_id cannot change: create a new group")
    merged = specs.checked(change.over(current))
    before = {f: getattr(group, f) for f in STORED}
    for f in STORED:
        setattr(group, f, getattr(merged, f))
    if group.template != before["template"]:
        members.check_template(cloud, group)  # new instances use it; running ones are left as they are
    if group.policy != before["policy"]:
        group.schedule_applied_at, group.last_scaled_at = None, None
    audit.record(cloud.session, cloud.ctx, "autoscaling_group.update", target=f"autoscaling_group:{group.id}",
                 detail={f: {"old": before[f], "new": getattr(group, f)} for f in STORED
                         if f != "template" and before[f] != getattr(group, f)}
                 | ({"template": "changed"} if before["template"] != group.template else {}))
    cloud.session.commit()
    cloud.bus.publish(_event(group, "update"))
    _reconcile_soon(queue, group)
    return group


def delete(cloud: core.Cloud, group_id: str, keep_instances: bool = False) -> str:
    """Mark the group deleting (kept in the database: a process dying now leaves the rest to the
    reconciler), then drain and terminate its instances; "deleted", or "deleting" when it is
    left to the reconciler (a round holds the group, or an instance could not be terminated)."""
    group = get(cloud, group_id, policy.DELETE)
    group.status, group.keep_instances = reconcile.DELETING, keep_instances
    audit.record(cloud.session, cloud.ctx, "autoscaling_group.delete", target=f"autoscaling_group:{group.id}",
                 detail={"name": group.name, "keep_instances": keep_instances})
    cloud.session.commit()
    event = _event(group, "delete")
    if not reconcile.wait_for_lease(cloud.session, group.id, DELETE_WAIT_SECONDS):
        return reconcile.DELETING
    try:
        cloud.session.refresh(group)
        activities.interrupted(cloud.session, group)
        done = reconcile.finish_delete(cloud, group)
    finally:
        reconcile.release(cloud.session, group_id)
    if done["failed"]:
        return reconcile.DELETING
    cloud.bus.publish(event)
    return "deleted"


def history(cloud: core.Cloud, group_id: str, limit: int = 100):
    return activities.recent(cloud.session, get(cloud, group_id), limit)
