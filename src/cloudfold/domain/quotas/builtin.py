"""The quotas of what exists today: the local cloud (seed 003, and seed 004's create on the same
instance core) and cloud accounts. One object's share of each quota is computed from its stored
spec by one function per kind (`USES`), both when it is claimed and when use is counted; use
counts live objects only, so a terminated instance or a deleted volume frees its share.

An instance without a CPU or memory limit counts as `UNLIMITED_CPU` vCPUs and
`UNLIMITED_MEMORY_MB` MB."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloudfold.db.models import Account, CloudObject, Resource
from cloudfold.domain.quotas.registry import register

UNLIMITED_CPU, UNLIMITED_MEMORY_MB = 1, 512


def instance_use(spec: dict[str, Any]) -> dict[str, float]:
    return {"instances": 1, "vcpus": spec.get("cpu") or UNLIMITED_CPU,
            "memory_mb": spec.get("memory") or UNLIMITED_MEMORY_MB, "host_ports": len(spec.get("ports") or [])}


USES: dict[str, Callable[[dict[str, Any]], dict[str, float]]] = {
    "vpc": lambda spec: {"vpcs": 1},
    "subnet": lambda spec: {"subnets": 1},
    "volume": lambda spec: {"volumes": 1, "volume_gb": spec.get("size_gb") or 0},
    "instance": instance_use,
}


def _specs(session: Session, user_id: int, kind: str) -> list[dict[str, Any]]:
    stmt = (select(CloudObject.spec).join(Resource, Resource.id == CloudObject.resource_id)
            .where(CloudObject.kind == kind, CloudObject.owner_id == user_id, Resource.vanished.is_(False)))
    return [spec or {} for spec in session.scalars(stmt)]


def summing(name: str):
    """A user's use of quota ``name``: the sum of every live object's share of it, over the kinds
    whose `USES` take a share of it (a kind another module adds to `USES` counts too)."""
    return lambda session, user_id: sum(use(spec).get(name, 0) for kind, use in list(USES.items())
                                        if name in use({}) for spec in _specs(session, user_id, kind))


for _name, _default, _description in (
    ("vpcs", 5, "VPCs (local cloud)"),
    ("subnets", 20, "Subnets (local cloud)"),
    ("instances", 10, "Instances, seed 004 containers included (local cloud)"),
    ("vcpus", 8, f"vCPUs of all instances (one without a CPU limit counts as {UNLIMITED_CPU})"),
    ("memory_mb", 8192,
     f"Memory of all instances and caches in MB (an instance without a memory limit counts as {UNLIMITED_MEMORY_MB})"),
    ("host_ports", 10, "Host ports published by all instances and caches"),
    ("volumes", 10, "Volumes (local cloud)"),
    ("volume_gb", 100, "Size of all volumes in GB"),
):
    register(_name, _default, _description)(summing(_name))


@register("accounts", 5, "Cloud accounts (providers) registered")
def _accounts(session: Session, user_id: int) -> float:
    return session.scalar(select(func.count()).select_from(Account).where(Account.owner_id == user_id)) or 0
