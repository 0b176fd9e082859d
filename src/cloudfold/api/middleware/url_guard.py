"""Refuse a URL whose path or query carries a NUL character (400), before any route reads it.

No stored text can hold one (PostgreSQL's text columns refuse it, so a filter such as
`/inventory/vms?region=%00` failed there as a 500), and no name, id or filter of the API
contains one; bodies are checked by their models (`domain/inputs`)."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from cloudfold.api.errors import error_response

MESSAGE = "The URL contains a NUL character (%00), which no path or parameter may hold"


def carries_nul(scope: Scope) -> bool:
    query = scope.get("query_string") or b""
    return "\x00" in scope.get("path", "") or b"%00" in query or b"\x00" in query


class UrlGuardMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and carries_nul(scope):
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008, "reason": MESSAGE[:120]})
                return
            where = "path" if "\x00" in scope.get("path", "") else "query"
            detail = [{"loc": [where], "msg": MESSAGE, "type": "value_error"}]  # a validation failure's shape
            await error_response(400, MESSAGE, detail=detail)(scope, receive, send)
            return
        await self.app(scope, receive, send)
