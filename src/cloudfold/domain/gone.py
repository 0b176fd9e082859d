"""The one rule for a record whose object no longer exists at its provider.

A machine (vm, container) that is gone is `terminated`; any other object (a volume, a network,
a DNS record) is `deleted`; both are `vanished`. Sync, actions and the container reads mark
records gone through `mark`; a sync's bulk update uses `status_for` per kind.
"""

from __future__ import annotations

from cloudfold.db.base import utcnow
from cloudfold.db.models import Resource

COMPUTE = ("vm", "container")
PENDING = "pending:"  # the external id of a reserved record until its engine object exists
STATUSES = ("terminated", "deleted")


def status_for(kind: str) -> str:
    return "terminated" if kind in COMPUTE else "deleted"


def mark(row: Resource) -> None:
    """Mark ``row`` gone at its provider (not deleted from the inventory)."""
    row.vanished, row.status, row.updated_at = True, status_for(row.kind), utcnow()


def is_gone(row: Resource) -> bool:
    return bool(row.vanished) or row.status in STATUSES


def unmade(row: Resource) -> bool:
    """A reserved record whose object is still being made (domain/localcloud/core.reserve):
    neither present nor gone at its provider, so reads never refresh it or mark it gone."""
    return (row.external_id or "").startswith(PENDING)
