"""Seed 001 /api/resources for hand-tracked records, sync merging and locks, the seed 002
sync trigger, and the `cloudfold sync` command."""

from __future__ import annotations

import subprocess
import sys
import time

from sqlalchemy import update

from conftest import assert_error
from inventory_support import find, register, sync, wait_task
import pytest

pytestmark = pytest.mark.database  # also run on PostgreSQL in CI


def test_track_update_and_untrack_by_hand(client, member, make_account):
    h = member.headers
    body = {"name": "legacy-db", "resource_type": "vm", "region": "eu-west-1", "status": "running",
            "metadata": {"ip": "192.0.2.7"}, "tags": {"team": "data"}, "cost_per_hour": 0.25}
    r = client.post("/api/resources", json=body, headers=h)
    assert r.status_code == 201, r.text
    rec = r.json()
    assert rec["manual"] is True and rec["provider_id"] is None and rec["resource_type"] == "vm"
    listed = client.get("/api/resources", params={"resource_type": "vm", "status": "running"}, headers=h).json()
    assert [x["id"] for x in listed] == [rec["id"]]
    assert client.get("/api/resources", params={"status": "stopped"}, headers=h).json() == []
    r = client.put(f"/api/resources/{rec['id']}", json={"status": "stopped", "tags": {"team": "ops"}}, headers=h)
    assert r.status_code == 200 and r.json()["status"] == "stopped" and r.json()["tags"] == {"team": "ops"}
    assert client.get("/dashboard/stats", headers=h).json()["total_resources"] == 1
    other = make_account("member")
    assert_error(client.get(f"/api/resources/{rec['id']}", headers=other.headers), 404, "NOT_FOUND")
    assert_error(client.put(f"/api/resources/{rec['id']}", json={"name": "x"}, headers=other.headers), 404, "NOT_FOUND")
    # a hand-tracked record has no provider to act through
    assert_error(client.post(f"/api/resources/{rec['id']}/action", json={"action": "stop"}, headers=h), 409, "CONFLICT")
    assert client.delete(f"/api/resources/{rec['id']}", headers=h).status_code == 204
    assert_error(client.get(f"/api/resources/{rec['id']}", headers=h), 404, "NOT_FOUND")


def test_resource_bad_input(client, member):
    h = member.headers
    assert_error(client.post("/api/resources", json={"name": "x", "resource_type": "spaceship"}, headers=h), 422, "BAD_REQUEST")
    assert_error(client.post("/api/resources", json={"resource_type": "vm"}, headers=h), 422, "BAD_REQUEST")
    assert_error(client.post("/api/resources", json={"name": "x", "resource_type": "vm", "provider_id": "nope"},
                             headers=h), 404, "NOT_FOUND")
    assert_error(client.get("/api/resources/abc", headers=h), 422, "BAD_REQUEST")
    assert_error(client.get("/api/resources", params={"provider_id": "nope"}, headers=h), 404, "NOT_FOUND")
    assert_error(client.get("/inventory/vms", params={"limit": 0}, headers=h), 422, "BAD_REQUEST")
    assert_error(client.post("/api/resources/sync/nope", headers=h), 404, "NOT_FOUND")
    rec = client.post("/api/resources", json={"name": "x", "resource_type": "vm"}, headers=h).json()
    body = assert_error(client.put(f"/api/resources/{rec['id']}", json={"name": None, "tags": None}, headers=h),
                        400, "BAD_REQUEST")
    assert "name, tags cannot be null" in body["message"]
    # a cost past a million an hour is refused, not stored to break the per-group sums (a
    # 64-bit count of micro-units on PostgreSQL): found by the schema fuzz
    for cost in (1_000_000.01, 9223372036855.0, -1):
        assert_error(client.put(f"/api/resources/{rec['id']}", json={"cost_per_hour": cost}, headers=h),
                     422, "BAD_REQUEST")
        assert_error(client.post("/api/resources", json={"name": "y", "resource_type": "vm", "cost_per_hour": cost},
                                 headers=h), 422, "BAD_REQUEST")
    assert [r["name"] for r in client.get("/api/resources", headers=h).json()] == ["x"]
    assert client.get(f"/api/resources/{rec['id']}", headers=h).json()["cost_per_hour"] is None
    ok = client.put(f"/api/resources/{rec['id']}", json={"cost_per_hour": 1_000_000}, headers=h)
    assert ok.status_code == 200 and ok.json()["cost_per_hour"] == 1_000_000


def test_synced_fields_cannot_be_overwritten(client, admin, make_container, engine_socket):
    c = make_container()
    register(admin, "local", "podman", {"docker_host": engine_socket})
    sync(admin, "podman")
    rec = find(admin, "podman", c.name)
    assert_error(client.put(f"/api/resources/{rec['id']}", json={"status": "stopped"}, headers=admin.headers),
                 400, "BAD_REQUEST")
    r = client.put(f"/api/resources/{rec['id']}", json={"tags": {"owner": "me"}, "cost_per_hour": 0.01},
                   headers=admin.headers)
    assert r.status_code == 200 and r.json()["tags"] == {"owner": "me"}


def test_a_sync_requested_while_one_runs_is_merged(client, admin, make_container, engine_socket, runtime):
    from cloudfold.db.base import utcnow
    from cloudfold.db.models import Account

    make_container()
    register(admin, "local", "podman", {"docker_host": engine_socket})
    first = sync(admin, "podman")
    with runtime.sessions() as s:  # pretend a live sync holds the lock
        s.execute(update(Account).where(Account.slug == "podman").values(sync_running_since=utcnow(),
                                                                         sync_task_id="someone-else"))
        s.commit()
    merged = sync(admin, "podman")
    # the merged request names the sync it merged into (never a bare success that did nothing)
    # (here the holder is no task cloudfold knows: none is named, and its follow-up is promised)
    assert merged["result"] == {"merged_into": None, "status": None, "follow_up": True}
    assert merged["task_id"] != first["task_id"]
    provider = client.get("/api/providers/podman", headers=admin.headers).json()
    assert provider["last_sync_at"] == first["finished_at"] or provider["last_sync_at"] <= merged["finished_at"]
    with runtime.sessions() as s:
        assert s.query(Account).filter_by(slug="podman").one().sync_requested is True


def test_a_dead_syncs_lock_is_taken_over(make_client, make_account, make_container, engine_socket):
    from cloudfold.db.base import utcnow
    from cloudfold.db.models import Account

    client = make_client(sync_lock_stale_seconds=1)
    admin = make_account("admin", client_=client)
    c = make_container()
    register(admin, "local", "podman", {"docker_host": engine_socket})
    with client.app.state.runtime.sessions() as s:
        from datetime import timedelta

        s.execute(update(Account).where(Account.slug == "podman")
                  .values(sync_running_since=utcnow() - timedelta(seconds=30), sync_task_id="dead"))
        s.commit()
    assert sync(admin, "podman")["result"]["seen"] >= 1
    assert find(admin, "podman", c.name)["status"] == "running"


def test_dashboard_sync_trigger_syncs_every_account(client, admin, make_container, engine_socket):
    c = make_container()
    register(admin, "local", "podman", {"docker_host": engine_socket})
    r = client.post("/dashboard/sync/trigger", headers=admin.headers)
    assert r.status_code == 200 and r.json()["message"] == "Sync triggered successfully"
    parent = wait_task(admin, r.json()["task_id"])
    assert parent["status"] == "succeeded", parent
    child = wait_task(admin, parent["result"]["syncs"]["podman"])
    assert child["status"] == "succeeded", child
    # the trigger may merge into the sync that registration started; the merged task ends at
    # once and the running one finishes the work, so wait for the inventory, not the task
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        r = client.get("/api/resources", params={"provider_id": "podman", "limit": 1000}, headers=admin.headers)
        if any(x["name"] == c.name for x in r.json()):
            break
        time.sleep(0.2)
    assert find(admin, "podman", c.name)["status"] == "running"


def test_cli_sync_and_credentials_key_rotation(tmp_path, database_url, make_container, engine_socket):
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("CLOUDFOLD_")}
    env.update(CLOUDFOLD_DATA_DIR=str(tmp_path / "cli"), CLOUDFOLD_DATABASE_URL=database_url,
               CLOUDFOLD_DOCKER_HOST=engine_socket)
    c = make_container()
    from cloudfold.db.engine import make_engine, make_session_factory
    from cloudfold.domain import accounts
    from cloudfold.domain.context import SYSTEM
    from cloudfold.security.secretbox import SecretBox
    from cloudfold.settings import Settings

    settings = Settings(data_dir=tmp_path / "cli", database_url=database_url)
    box = SecretBox.from_settings(settings)
    sessions = make_session_factory(make_engine(database_url))
    with sessions() as s:
        accounts.create(s, SYSTEM, box, settings, provider_type="local", display_name="l", slug="cli-local",
                        config={"docker_host": engine_socket})
        accounts.create(s, SYSTEM, box, settings, provider_type="aws", display_name="a", slug="cli-aws",
                        credentials={"access_key": "AKIA", "secret_key": "very-secret"})
    out = subprocess.run([sys.executable, "-m", "cloudfold", "sync", "cli-local"], env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "done:" in out.stdout and "'seen'" in out.stdout
    with sessions() as s:
        from cloudfold.db.models import Resource

        assert s.query(Resource).filter_by(external_id=c.id).one().status == "running"
    bad = subprocess.run([sys.executable, "-m", "cloudfold", "sync", "nope"], env=env, capture_output=True, text=True)
    assert bad.returncode == 1 and "not found" in bad.stderr

    old_keys = (tmp_path / "cli" / "credentials.key").read_text().split()
    rot = subprocess.run([sys.executable, "-m", "cloudfold", "credentials", "rotate-key"], env=env,
                         capture_output=True, text=True, timeout=60)
    assert rot.returncode == 0 and "re-encrypted 1" in rot.stdout, rot.stderr
    new_keys = (tmp_path / "cli" / "credentials.key").read_text().split()
    assert new_keys[1:] == old_keys and len(new_keys) == 2
    with sessions() as s:
        from cloudfold.db.models import Account

        sealed = s.query(Account).filter_by(slug="cli-aws").one().credentials_sealed
    assert SecretBox([new_keys[0].encode()]).open(sealed) == {"access_key": "AKIA", "secret_key": "very-secret"}
