"""Periodic work: accounts are synced and health-checked by themselves at the intervals kept
behind /api/settings, and a changed interval applies without a restart."""

from __future__ import annotations

import time

from inventory_support import find, register
import pytest

pytestmark = pytest.mark.database  # also run on PostgreSQL in CI


def _wait(predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError("condition not reached in time")


def test_due_accounts_are_synced_and_checked_by_the_scheduler(make_client, make_account, make_container, engine_socket):
    client = make_client(schedule_tick_seconds=1)
    admin = make_account("admin", client_=client)
    c = make_container()
    register(admin, "local", "podman", {"docker_host": engine_socket})

    def provider():
        return client.get("/api/providers/podman", headers=admin.headers).json()

    _wait(lambda: provider()["last_sync_status"] == "succeeded" and provider()["health"]["status"] == "healthy")
    assert find(admin, "podman", c.name)["status"] == "running"
    first_sync = provider()["last_sync_at"]

    # the default interval (300 s) is not over: no second sync yet
    time.sleep(2.5)
    assert provider()["last_sync_at"] == first_sync
    # a shorter interval applies at once
    r = client.put("/api/settings/inventory_sync_interval", json={"value": 10}, headers=admin.headers)
    assert r.status_code == 200
    second = make_container()
    _wait(lambda: provider()["last_sync_at"] != first_sync, timeout=40)
    assert find(admin, "podman", second.name)["status"] == "running"
