"""A group's instances: ordinary local-cloud instances of the group's owner, made through the
instance core (`instances.plan` → `claim` (quotas) → `reserve` (the record, before the engine)
→ `build`), named `<group>-<n>`, with the group in their spec (`group_id`) and on their
container (label `cloudfold.group`). Who they are is read from the database every time, so a
restarted process counts them right."""

from __future__ import annotations

import logging
from datetime import timedelta

from cloudfold.db.base import utcnow
from cloudfold.db.models import AutoscalingGroup, CloudObject
from cloudfold.domain import actions, gone
from cloudfold.domain.autoscaling import activities, lb_link
from cloudfold.domain.localcloud import core, instances
from cloudfold.errors import CloudfoldError, Forbidden

log = logging.getLogger("cloudfold.autoscaling")
GROUP_KEY = "group_id"  # in an instance's spec
GROUP_LABEL = "cloudfold.group"  # on its container
HEALTHY = ("running", "creating")


def of(cloud: core.Cloud, group: AutoscalingGroup) -> list[CloudObject]:
    """The group's live instances (reserved ones included), oldest first."""
    stmt = core.objects("instance").where(CloudObject.owner_id == group.owner_id)
    return [o for o in cloud.session.scalars(stmt) if (o.spec or {}).get(GROUP_KEY) == group.id]


def template_launch(group: AutoscalingGroup, name: str) -> instances.Launch:
    t = group.template
    return instances.Launch(name=name, image=t["image"], vpc_id=t.get("vpc_id"), subnet_id=t.get("subnet_id"),
                            ports=t.get("ports") or None, command=t.get("command"), env=t.get("env") or {},
                            cpu=t.get("cpu"), memory=t.get("memory"), service=t.get("service"),
                            extra={GROUP_KEY: group.id})


def check_template(cloud: core.Cloud, group: AutoscalingGroup) -> None:
    """Every check an instance of the template meets (ownership of VPC and subnet, the image,
    the host's capacity), asked once when the group is made or changed (400/404 now, not later)."""
    instances.plan(cloud, template_launch(group, f"{group.name}-0"))


def launch(cloud: core.Cloud, group: AutoscalingGroup, cause: str) -> bool:
    """Make one instance; False when it failed (a quota refusal included: a failed activity)."""
    session = cloud.session
    number = group.next_number
    group.next_number = number + 1
    name = f"{group.name}-{number}"
    activity = activities.start(session, cloud.ctx, cloud.bus, group, "launch", cause)
    reserved = None
    try:
        planned = instances.plan(cloud, template_launch(group, name))
        planned.container.labels = {**planned.container.labels, GROUP_LABEL: group.id}
        instances.claim(cloud, planned)
        activity.instance_id = planned.container.object_id
        reserved = instances.reserve(cloud, planned, name, f"autoscaling group {group.id}", answered=False)
        made = instances.build(cloud, planned, name, reserved=reserved)
        if group.load_balancer_id:
            lb_link.attach(cloud, group.load_balancer_id, made.id, group.target_port)
    except core.KeptHalfMade as exc:  # the record is kept (status error): the next round replaces it
        activities.finish(session, cloud.ctx, cloud.bus, group, activity, activities.FAILED, exc.message)
        return False
    except Exception as exc:  # a refusal (quota: Forbidden), the engine, or a bug: a failed activity, never a crash
        message = exc.message if isinstance(exc, CloudfoldError) else f"unexpected {type(exc).__name__} (logged)"
        if not isinstance(exc, CloudfoldError):
            log.exception("launching an instance of autoscaling group %s failed", group.id)
        session.rollback()
        if reserved is not None and gone.unmade(reserved.resource):
            core.discard(cloud, reserved, message)
        message = f"refused: {message}" if isinstance(exc, Forbidden) else message
        activities.finish(session, cloud.ctx, cloud.bus, group, activity, activities.FAILED, message)
        return False
    activities.finish(session, cloud.ctx, cloud.bus, group, activity, activities.SUCCEEDED,
                      f"instance {name} ({made.id}) launched")
    return True


def terminate(cloud: core.Cloud, group: AutoscalingGroup, obj: CloudObject, cause: str,
              drain: bool = True) -> bool:
    """Take one instance out of the load balancer (when attached) and terminate it."""
    session = cloud.session
    activity = activities.start(session, cloud.ctx, cloud.bus, group, "terminate", cause, instance_id=obj.id)
    try:
        if drain and group.load_balancer_id:
            lb_link.detach(cloud, group.load_balancer_id, obj.id)
        if not gone.unmade(obj.resource):
            actions.perform(session, cloud.ctx, cloud.bus, cloud.box, cloud.settings, obj.resource, "terminate",
                            via=f"autoscaling group {group.id}")
    except CloudfoldError as exc:
        session.rollback()
        activities.finish(session, cloud.ctx, cloud.bus, group, activity, activities.FAILED, exc.message)
        return False
    activities.finish(session, cloud.ctx, cloud.bus, group, activity, activities.SUCCEEDED,
                      f"instance {obj.name} ({obj.id}) terminated")
    return True


def unhealthy(cloud: core.Cloud, group: AutoscalingGroup, members: list[CloudObject]) -> list[tuple[CloudObject, str]]:
    """Members to replace, each with why: stopped or gone at the engine (read live now), or,
    with a load balancer, failing its health checks after the grace period."""
    out = []
    for obj in members:
        if gone.unmade(obj.resource):
            continue  # still being made (its process, or the reconciler, settles it)
        actions.refresh(cloud.session, cloud.bus, cloud.box, cloud.settings, obj.resource)
        if obj.resource.vanished:
            out.append((obj, f"instance {obj.name} is gone from the engine"))
        elif obj.resource.status not in HEALTHY:
            out.append((obj, f"instance {obj.name} is {obj.resource.status}"))
    if group.load_balancer_id and members:
        states = lb_link.target_health(cloud, group.load_balancer_id)
        graced = utcnow() - timedelta(seconds=group.health_check_grace_s)
        listed = {o.id for o, _ in out}
        out += [(o, f"instance {o.name} fails the load balancer's health check")
                for o in members if o.id not in listed and states.get(o.id) == "unhealthy" and o.created_at <= graced]
    return out


def newest_first(members: list[CloudObject]) -> list[CloudObject]:
    return sorted(members, key=lambda o: o.created_at, reverse=True)

