"""Seed 003's caches (issue 13): real Redis servers in containers on the local engine
(`service.py`), reached through the egress rule with the `redis` client (`link.py`)."""

from cloudfold.domain.caches.service import (
    EVICTION_POLICIES,
    MAX_MEMORY_MB,
    MIN_MEMORY_MB,
    Cache,
    create,
    delete,
    get,
    headroom_mb,
    list_mine,
    rotate_password,
)

__all__ = ["EVICTION_POLICIES", "MAX_MEMORY_MB", "MIN_MEMORY_MB", "Cache", "create", "delete", "get", "headroom_mb",
           "list_mine", "rotate_password"]
