"""Seed 001 WebSocket /ws: `resource_change` events as they happen; "ping" -> {"type": "pong"}.

Authenticate with `?token=<JWT or API key>`, or an Authorization / X-API-Key header.
Non-admins receive only events of the accounts they can see.
"""

from __future__ import annotations

import asyncio
import json
import time

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from starlette.concurrency import run_in_threadpool

from cloudfold.domain import accounts, auth
from cloudfold.errors import Unauthorized

router = APIRouter(tags=["events"])
VISIBILITY_TTL_S = 30.0


def _credential(ws: WebSocket) -> str | None:
    if ws.query_params.get("token"):
        return ws.query_params["token"]
    if ws.headers.get("x-api-key"):
        return ws.headers["x-api-key"]
    header = ws.headers.get("authorization", "")
    return header[7:] if header.lower().startswith("bearer ") else None


def _authenticate(runtime, credential: str):
    with runtime.sessions() as session:
        return auth.resolve(session, runtime.jwt_secret, credential)


def _visible_slugs(runtime, principal) -> set[str] | None:
    if principal.is_admin:
        return None
    with runtime.sessions() as session:
        return {a.slug for a in accounts.list_for(session, principal)}


@router.websocket("/ws")
async def events_ws(ws: WebSocket) -> None:
    runtime = ws.app.state.runtime
    credential = _credential(ws)
    try:
        if not credential:
            raise Unauthorized("Not authenticated")
        principal = await run_in_threadpool(_authenticate, runtime, credential)
        if "read" not in principal.scopes:
            raise Unauthorized("This needs the 'read' scope")
    except Unauthorized as exc:
        await ws.close(code=4401, reason=exc.message)
        return
    await ws.accept()
    subscription = runtime.events.subscribe()
    visible, checked = await run_in_threadpool(_visible_slugs, runtime, principal), time.monotonic()

    async def pump() -> None:
        nonlocal visible, checked
        while True:
            event = await subscription.get()
            if visible is not None:
                if time.monotonic() - checked > VISIBILITY_TTL_S:
                    visible, checked = await run_in_threadpool(_visible_slugs, runtime, principal), time.monotonic()
                if event.get("provider_id") not in visible:
                    continue
            await ws.send_text(json.dumps(event, default=str))

    sender = asyncio.create_task(pump())
    try:
        while True:
            text = await ws.receive_text()
            if text.strip().lower() == "ping" or _is_ping(text):
                await ws.send_text(json.dumps({"type": "pong"}))
    except WebSocketDisconnect:
        pass
    finally:
        sender.cancel()
        subscription.close()


def _is_ping(text: str) -> bool:
    try:
        return json.loads(text).get("type") == "ping"
    except (ValueError, AttributeError):
        return False
