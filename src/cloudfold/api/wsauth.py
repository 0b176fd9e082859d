"""Who is on a WebSocket, for as long as it is open: the shared per-connection logic of every
event stream (seed 001 `/ws`; seed 004's `/api/ws` reuses it).

A credential (JWT or API key) comes, in order of preference:
1. the `Sec-WebSocket-Protocol` header: subprotocols `["cloudfold.bearer", "<token>"]`
   (the server answers with `cloudfold.bearer`);
2. the first message, within `ws_auth_timeout_seconds` of connecting:
   `{"type": "auth", "token": "<token>"}` (answered `{"type": "auth", "ok": true}`);
3. an `Authorization: Bearer` or `X-API-Key` header, or `?token=` (kept for seed 001's
   clients; a query string ends up in proxies' access logs, so prefer 1 or 2).

While the socket is open the credential is resolved again every `ws_recheck_seconds`
(`auth.resolve`: a revoked or expired key, an ended session, a disabled user fail it), and a
password reset (the user's token version moves) ends it too: the socket is closed with 4401.
A revocation in this process (`policy.callers.changed`) makes the check run at once.
The principal is refreshed at each check, so a lowered role applies at once.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

from fastapi import WebSocket, WebSocketDisconnect
from starlette.concurrency import run_in_threadpool

from cloudfold.domain import auth
from cloudfold.domain.context import Principal
from cloudfold.domain.policy import callers
from cloudfold.errors import Unauthorized

log = logging.getLogger(__name__)
SUBPROTOCOL = "cloudfold.bearer"
CLOSE_UNAUTHORIZED = 4401


@dataclass
class Connection:
    runtime: Any
    credential: str
    principal: Principal
    token_version: int | None
    scope: str


def _offered(ws: WebSocket) -> tuple[str | None, str | None]:
    """(credential, subprotocol to answer with) from the handshake, if it carries one."""
    protocols = list(ws.scope.get("subprotocols") or [])
    if SUBPROTOCOL in protocols:
        at = protocols.index(SUBPROTOCOL)
        return (protocols[at + 1] if at + 1 < len(protocols) else None), SUBPROTOCOL
    if ws.headers.get("x-api-key"):
        return ws.headers["x-api-key"], None
    header = ws.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:], None
    return ws.query_params.get("token") or None, None


def _resolve(runtime, credential: str, scope: str) -> tuple[Principal, int | None]:
    with runtime.sessions() as session:
        principal = auth.resolve(session, runtime.jwt_secret, credential)
        if scope not in principal.scopes:
            raise Unauthorized(f"This needs the '{scope}' scope")
        return principal, callers.token_version(session, principal)


async def _first_message_token(ws: WebSocket, timeout: float) -> str:
    try:
        text = await asyncio.wait_for(ws.receive_text(), timeout)
    except TimeoutError:
        raise Unauthorized("Not authenticated: send {\"type\": \"auth\", \"token\": …} first") from None
    except KeyError:  # a binary frame
        text = ""
    try:
        message = json.loads(text)
    except ValueError:
        message = None
    if not isinstance(message, dict) or message.get("type") != "auth" or not isinstance(message.get("token"), str):
        raise Unauthorized("Not authenticated: the first message must be {\"type\": \"auth\", \"token\": …}")
    return message["token"]


async def open_authenticated(ws: WebSocket, scope: str = "read", credential: str | None = None) -> Connection | None:
    """Accept the socket for a valid credential holding `scope`; otherwise close it with 4401
    and return None. A handshake without a credential is accepted to wait for the first message.
    ``credential``: one the face took from elsewhere (the dashboard's session cookie)."""
    runtime = ws.app.state.runtime
    credential, subprotocol = (credential, None) if credential else _offered(ws)
    try:
        if credential:
            principal, version = await run_in_threadpool(_resolve, runtime, credential, scope)
            await ws.accept(subprotocol=subprotocol)
        else:
            await ws.accept(subprotocol=subprotocol)
            credential = await _first_message_token(ws, runtime.settings.ws_auth_timeout_seconds)
            principal, version = await run_in_threadpool(_resolve, runtime, credential, scope)
            await ws.send_text(json.dumps({"type": "auth", "ok": True}))
    except Unauthorized as exc:
        await ws.close(code=CLOSE_UNAUTHORIZED, reason=exc.message)
        return None
    except WebSocketDisconnect:
        return None
    return Connection(runtime, credential, principal, version, scope)


def _still_valid(conn: Connection) -> Principal:
    principal, version = _resolve(conn.runtime, conn.credential, conn.scope)
    if conn.token_version is not None and version != conn.token_version:
        raise Unauthorized("The session ended: the password was reset")
    return principal


async def guard(ws: WebSocket, conn: Connection) -> None:
    """Re-check the credential every `ws_recheck_seconds`; close the socket (4401) and return
    once it no longer holds. Keeps `conn.principal` current meanwhile."""
    interval = conn.runtime.settings.ws_recheck_seconds
    loop, nudged = asyncio.get_running_loop(), asyncio.Event()

    def nudge(user_id: int) -> None:  # from any thread: a credential of this user changed
        if user_id == conn.principal.user_id:
            loop.call_soon_threadsafe(nudged.set)

    stop_listening = callers.listen(nudge)
    try:
        while True:
            try:
                await asyncio.wait_for(nudged.wait(), interval)
            except TimeoutError:
                pass
            nudged.clear()
            try:
                conn.principal = await run_in_threadpool(_still_valid, conn)
            except Unauthorized as exc:
                await ws.close(code=CLOSE_UNAUTHORIZED, reason=exc.message)
                return
    finally:
        stop_listening()


async def run_until_first(*work: Coroutine) -> None:
    """Run a socket's loops (sender, reader, guard) until one ends; cancel the rest. A client
    that went away ends a loop with WebSocketDisconnect, which is no error."""
    tasks = [asyncio.create_task(w) for w in work]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
    for task in done:
        exc = task.exception()
        if exc is not None and not isinstance(exc, (WebSocketDisconnect, RuntimeError)):
            log.error("a WebSocket loop failed", exc_info=exc)
