"""Provider states -> cloudfold statuses."""

from __future__ import annotations

_INSTANCE = {
    "pending": "pending",
    "running": "running",
    "stopping": "stopping",
    "stopped": "stopped",
    "shutting-down": "stopping",
    "terminated": "terminated",
}


def instance_status(state: str | None) -> str:
    return _INSTANCE.get(state or "", "unknown")


def network_status(state: str | None) -> str:
    """VPCs and subnets: ``available`` is shown as ``active`` (seed 002's networks)."""
    if state == "available":
        return "active"
    return state or "unknown"


def volume_status(state: str | None) -> str:
    # creating, available, in-use, deleting, deleted, error: already cloudfold's words
    return state or "unknown"
