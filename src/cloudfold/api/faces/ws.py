"""Seed 001 WebSocket /ws: `resource_change` events as they happen; "ping" -> {"type": "pong"}.

Authentication and its re-checks: `api/wsauth.py` (preferred: the `cloudfold.bearer`
subprotocol or a first `{"type": "auth", "token": …}` message; `?token=` still works).
Each event goes only to listeners who may see its object (`policy.may_hear`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, WebSocket

from cloudfold.api import wsauth
from cloudfold.domain import events, policy

router = APIRouter(tags=["events"])


Shape = Callable[[dict[str, Any]], list[dict[str, Any]]]  # an event -> what this stream sends for it


async def stream(ws: WebSocket, shape: Shape, credential: str | None = None) -> None:
    """The one event stream: authenticate (`wsauth`; ``credential`` when the face has it already),
    then send each event the caller may hear (`policy.may_hear`) as `shape` words it; answer
    pings. Every WebSocket face runs this."""
    conn = await wsauth.open_authenticated(ws, credential=credential)
    if conn is None:
        return
    subscription = conn.runtime.events.subscribe()

    async def pump() -> None:
        while True:
            event = await subscription.get()
            if policy.may_hear(conn.principal, event):
                for message in shape(event):
                    await ws.send_text(json.dumps(message, default=str))

    async def reader() -> None:
        while True:
            text = await ws.receive_text()
            if text.strip().lower() == "ping" or _is_ping(text):
                await ws.send_text(json.dumps({"type": "pong"}))

    try:
        await wsauth.run_until_first(pump(), reader(), wsauth.guard(ws, conn))
    finally:
        subscription.close()


@router.websocket("/ws")
async def events_ws(ws: WebSocket) -> None:
    await stream(ws, lambda event: [events.wire(event)])


def _is_ping(text: str) -> bool:
    try:
        return json.loads(text).get("type") == "ping"
    except (ValueError, AttributeError):
        return False
