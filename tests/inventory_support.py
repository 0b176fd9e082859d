"""Helpers for the inventory tests: register accounts, run syncs to completion."""

from __future__ import annotations

import time

from conftest import Account


def wait_task(account: Account, task_id: str, timeout: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = account.client.get(f"/tasks/{task_id}", headers=account.headers)
        assert r.status_code == 200, r.text
        body = r.json()
        if body["status"] in ("succeeded", "failed"):
            return body
        time.sleep(0.1)
    raise AssertionError(f"task {task_id} did not finish in {timeout}s")


def register(account: Account, provider_type: str, slug: str, config: dict | None = None,
             credentials: dict | None = None, region: str | None = None) -> dict:
    body = {"id": slug, "provider_type": provider_type, "display_name": f"{provider_type} test", "region": region,
            "config": config or {}, "credentials": credentials}
    r = account.client.post("/api/providers", json=body, headers=account.headers)
    assert r.status_code == 201, r.text
    return r.json()


def sync(account: Account, slug: str, expect: str = "succeeded") -> dict:
    r = account.client.post(f"/api/resources/sync/{slug}", headers=account.headers)
    assert r.status_code == 202, r.text
    task = wait_task(account, r.json()["task_id"])
    assert task["status"] == expect, task
    return task


def find(account: Account, slug: str, name: str, kind: str = "container") -> dict:
    r = account.client.get("/api/resources", params={"provider_id": slug, "resource_type": kind, "limit": 1000},
                           headers=account.headers)
    assert r.status_code == 200, r.text
    matches = [x for x in r.json() if x["name"] == name]
    assert len(matches) == 1, [x["name"] for x in r.json()]
    return matches[0]
