"""Small helpers shared by the HTTP-level tests: credentials, keys, audit, tasks, the database."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from conftest import PASSWORD, assert_error, unique_email

KEY_FIELDS = {"id", "user_id", "name", "key", "prefix", "scopes", "created_at", "last_used", "expires_at"}


def key_headers(key: str) -> dict[str, str]:
    return {"X-API-Key": key}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def new_request_id() -> str:
    return str(uuid.uuid4())


def assert_error_with_id(response, status: int, code: str) -> dict:
    """assert_error, plus: exactly one X-Request-ID header, equal to the body's request_id."""
    body = assert_error(response, status, code)
    assert response.headers.get_list("x-request-id") == [body["request_id"]], (
        response.headers.get_list("x-request-id"), body)
    return body


def create_key(client, headers: dict[str, str], expect: int = 201, **body) -> dict:
    body.setdefault("name", "test key")
    r = client.post("/auth/keys", json=body, headers=headers)
    assert r.status_code == expect, r.text
    return r.json()


def list_keys(client, headers: dict[str, str]) -> list[dict]:
    r = client.get("/auth/keys", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def me(client, headers: dict[str, str]) -> dict:
    r = client.get("/auth/me", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def signup(client, email: str | None = None, forwarded_for: str | None = None):
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return client.post("/auth/signup", json={"email": email or unique_email(), "password": PASSWORD},
                       headers=headers)


def flush_refusals(client) -> None:
    """Write the anonymous refusals this app has counted (it does so every few seconds on its own)."""
    client.app.state.runtime.refusals.flush()


def audit_page(client, headers: dict[str, str], **params) -> dict:
    flush_refusals(client)
    r = client.get("/monitor/audit", headers=headers, params=params)
    assert r.status_code == 200, r.text
    return r.json()


def audit_metrics(client, headers: dict[str, str]) -> dict:
    flush_refusals(client)
    r = client.get("/monitor/audit/metrics", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


@contextmanager
def db(client) -> Iterator:
    """A session on the app's own database, committed on leaving."""
    with client.app.state.runtime.sessions() as session:
        yield session
        session.commit()
    # a write behind the app's back is seen at once, not after the principal cache's TTL as a
    # change made by another process would be (test_principal_cache.py proves that bound)
    client.app.state.runtime.principals.clear()


def wait_for_task(client, headers: dict[str, str], task_id: str, timeout: float = 10.0) -> dict:
    """Poll GET /tasks/{id} until the task is finished; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        r = client.get(f"/tasks/{task_id}", headers=headers)
        assert r.status_code == 200, r.text
        task = r.json()
        if task["status"] in ("succeeded", "failed"):
            return task
        assert time.monotonic() < deadline, f"task still {task['status']} after {timeout}s: {task}"
        time.sleep(0.05)


def wait_until(predicate, timeout: float = 10.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, f"{what} not met after {timeout}s"
        time.sleep(0.1)


def events_until(ws, predicate, limit: int = 50) -> list[dict]:
    """Events a WebSocket receives up to and including the first one `predicate` accepts."""
    seen = []
    for _ in range(limit):
        seen.append(json.loads(ws.receive_text()))
        if predicate(seen[-1]):
            return seen
    raise AssertionError(f"no matching event in {limit}: {seen}")
