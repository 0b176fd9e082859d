"""Seed 004's `/api/ws`: `container.created|started|stopped|deleted` and `metrics.update`.

The same stream as seed 001's `/ws` (`ws.stream`: authentication and re-checks by
`api/wsauth.py`, each event only to those who may see its machine), worded as seed 004 names
its events: a machine's `resource_change` becomes the container event its action or new
status means; `metrics.update` (the sampler's latest figures per machine, throttled) goes as
it is. Other events are not sent here.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, WebSocket

from cloudfold.api.faces.ws import stream
from cloudfold.domain import events, inventory

router = APIRouter(tags=["events"])

BY_ACTION = {"create": "created", "start": "started", "reboot": "started", "stop": "stopped",
             "terminate": "deleted", "delete": "deleted", "vanished": "deleted"}
BY_STATUS = {"running": "started", "stopped": "stopped"}  # an update (a sync or refresh saw it change)


def shape(event: dict[str, Any]) -> list[dict[str, Any]]:
    if event.get("type") == "metrics.update":
        return [events.wire(event)]
    if event.get("type") != "resource_change" or event.get("resource_type") not in inventory.COMPUTE:
        return []
    action = event.get("action")
    what = BY_ACTION.get(action) or (BY_STATUS.get(event.get("status")) if action == "update" else None)
    if what is None:
        return []
    return [{"type": f"container.{what}", "vmid": int(event["resource_id"]) + inventory.VMID_OFFSET,
             "name": event.get("name"), "status": event.get("status")}]


@router.websocket("/api/ws")
async def proxicloud_ws(ws: WebSocket) -> None:
    await stream(ws, shape)
