"""Autoscaling groups (issue 13, seed 003 `/autoscaling/groups`): a launch template kept at a
desired count of ordinary instances by a reconciler job, scaled by a target-CPU or schedule
policy, with an activity history. See docs/architecture.md, "Autoscaling groups"."""

from cloudfold.domain.autoscaling import ownership, reconcile  # noqa: F401  (policy rule, quota, job)
from cloudfold.domain.autoscaling.groups import (
    create,
    delete,
    get,
    history,
    shown,
    update,
    visible,
)
from cloudfold.domain.autoscaling.specs import GroupSpec

__all__ = ["GroupSpec", "create", "delete", "get", "history", "shown", "update", "visible"]
