"""Idempotency-Key on POST: the same key and body (JSON compared as parsed, so key order does
not matter) get the first answer again; the same key with another body gets 409. A record
left in progress by a process that died (domain/workers.py) is released, so the retry runs once. Records live in the database, so every replica agrees.

Keys belong to the calling user (whichever of their credentials they use), or to the
credential or client IP when it names no user. Stored answers are encrypted (they may hold
a freshly minted API key). Answers of 5xx and 429 are not kept: the client may retry those.
"""

from __future__ import annotations

import hashlib
import json

import anyio
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cloudfold.api.deps import principal_fingerprint
from cloudfold.api.errors import error_response
from cloudfold.db.models import IdempotencyRecord
from cloudfold.domain import auth, replay, workers
from cloudfold.errors import CloudfoldError

HEADER = "idempotency-key"
REPLAY_SKIP = {b"content-length", b"x-request-id", b"date", b"server"}


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        key = headers.get(HEADER)
        if key is None:
            await self.app(scope, receive, send)
            return
        if not key or len(key) > 255:
            await error_response(400, "Idempotency-Key must be 1 to 255 characters")(scope, receive, send)
            return

        body = await _read_body(receive)
        client = scope.get("client")
        runtime = scope["app"].state.runtime
        principal = await anyio.to_thread.run_sync(
            _owner, runtime, headers.get("authorization"), headers.get("x-api-key"), client[0] if client else "unknown")
        request_hash = hashlib.sha256(
            b"\n".join([scope["path"].encode(), scope.get("query_string", b""),
                        headers.get("content-type", "").encode(), _canonical(body)])
        ).hexdigest()
        sessions = runtime.sessions

        outcome, record = await anyio.to_thread.run_sync(_claim, sessions, runtime.settings, principal, key,
                                                         request_hash)
        if outcome == "replay":
            await _replay(record, runtime.secretbox.open_bytes(record.body), scope, receive, send)
            return
        if outcome == "mismatch":
            await error_response(409, "Idempotency-Key was already used with another request")(scope, receive, send)
            return
        if outcome == "busy":
            await error_response(409, "A request with this Idempotency-Key is still in progress")(scope, receive, send)
            return

        status: int | None = None
        kept_headers: list[list[str]] = []
        chunks: list[bytes] = []
        settled = False

        async def replay_receive() -> Message:
            return {"type": "http.request", "body": body, "more_body": False}

        async def settle() -> None:
            nonlocal settled
            settled = True
            keep = status is not None and status < 500 and status != 429
            sealed = runtime.secretbox.seal_bytes(b"".join(chunks)) if keep else None
            await anyio.to_thread.run_sync(_settle, sessions, principal, key, status if keep else None,
                                           kept_headers, sealed)

        async def capture_send(message: Message) -> None:
            nonlocal status, kept_headers
            if message["type"] == "http.response.start":
                status = message["status"]
                kept_headers = [[k.decode("latin-1"), v.decode("latin-1")]
                                for k, v in message.get("headers", []) if k.lower() not in REPLAY_SKIP]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    await settle()  # stored before the client has the answer: a retry right after replays it
            await send(message)

        try:
            with replay.request(replay.digest(principal, key, request_hash)):
                await self.app(scope, replay_receive, capture_send)
        finally:
            if not settled:
                await settle()


async def _read_body(receive: Receive) -> bytes:
    parts: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        parts.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(parts)


def _canonical(body: bytes) -> bytes:
    """A JSON body as parsed (key order and spacing do not matter); any other body as sent."""
    try:
        return json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        return body


def _claim(sessions, settings, principal: str, key: str, request_hash: str):
    with sessions() as session:
        existing = session.scalar(select(IdempotencyRecord).where(
            IdempotencyRecord.principal == principal, IdempotencyRecord.key == key))
        if existing is not None and existing.status_code is None and existing.worker_id is not None \
                and not workers.alive(session, settings, existing.worker_id):
            session.delete(existing)  # its process died mid-request: this retry runs it, once
            session.flush()
            existing = None
        if existing is not None:
            if existing.request_hash != request_hash:
                return "mismatch", None
            return ("busy", None) if existing.status_code is None else ("replay", existing)
        session.add(IdempotencyRecord(principal=principal, key=key, request_hash=request_hash,
                                      worker_id=workers.PROCESS))
        try:
            session.commit()
        except IntegrityError:  # a concurrent request with the same key won the race
            session.rollback()
            return "busy", None
        return "new", None


def _owner(runtime, authorization: str | None, api_key: str | None, ip: str) -> str:
    """``user:<id>`` for a valid credential, else a digest of the credential or the IP."""
    credential = api_key or (authorization[7:] if authorization and authorization[:7].lower() == "bearer " else None)
    if credential:
        with runtime.sessions() as session:
            try:
                return f"user:{auth.resolve(session, runtime.jwt_secret, credential).user_id}"
            except CloudfoldError:
                pass
    return principal_fingerprint(authorization, api_key, ip)


def _settle(sessions, principal: str, key: str, status: int | None, headers, body: bytes | None) -> None:
    with sessions() as session:
        record = session.scalar(select(IdempotencyRecord).where(
            IdempotencyRecord.principal == principal, IdempotencyRecord.key == key))
        if record is None:
            return
        if status is None:
            session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id == record.id))
        else:
            record.status_code, record.headers, record.body = status, headers, body
        session.commit()


async def _replay(record: IdempotencyRecord, body: bytes, scope: Scope, receive: Receive, send: Send) -> None:
    response = Response(content=body, status_code=record.status_code)
    response.raw_headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in record.headers or []]
    response.raw_headers.append((b"content-length", str(len(body)).encode()))
    response.raw_headers.append((b"idempotent-replayed", b"true"))
    await response(scope, receive, send)
