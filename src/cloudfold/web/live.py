"""/ui/live: the event stream (`api/faces/ws.stream`, the same one /ws serves) for the
dashboard's open pages, authenticated by the session cookie. A browser sends cookies on a
WebSocket handshake from any site, so the handshake must come from a page of this server
(its Origin names this host), else it is closed with 4403 before anything is sent."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import APIRouter, WebSocket

from cloudfold.api.faces.ws import stream
from cloudfold.api.wsauth import CLOSE_UNAUTHORIZED
from cloudfold.domain import events
from cloudfold.security.tokens import looks_like_api_key
from cloudfold.web import cookies

router = APIRouter()
CLOSE_FORBIDDEN = 4403


def same_origin(ws: WebSocket) -> bool:
    origin = ws.headers.get("origin")
    return bool(origin) and urlsplit(origin).netloc == ws.headers.get("host")


@router.websocket("/ui/live")
async def live(ws: WebSocket) -> None:
    token = ws.cookies.get(cookies.SESSION_COOKIE)
    if not same_origin(ws):
        await ws.close(code=CLOSE_FORBIDDEN, reason="Cross-origin handshake refused")
        return
    if not token or looks_like_api_key(token):
        await ws.close(code=CLOSE_UNAUTHORIZED, reason="Sign in first")
        return
    await stream(ws, lambda event: [events.wire(event)], credential=token)
