"""`POST /api/orchestrate/lockdown` and its undo on the real container engine: admins only, a
required confirmation, a dry run, protected machines kept, every stop and start through the
one action path. Scoped to this test's own label so no other session's machine is touched."""

from __future__ import annotations

import uuid

from conftest import assert_error
from helpers_api import audit_page
from inventory_support import find, register, sync
import pytest

pytestmark = pytest.mark.database  # also run on PostgreSQL in CI


def _status(container) -> str:
    container.reload()
    return container.status


def test_lockdown_dry_run_stop_and_restore(client, admin, make_container, engine_socket):
    tag = uuid.uuid4().hex
    a, b = make_container(labels={"lock-test": tag}), make_container(labels={"lock-test": tag})
    keep = make_container(labels={"lock-test": tag, "cloudfold.protect": "yes"})
    register(admin, "local", "podman", {"docker_host": engine_socket})
    sync(admin, "podman")
    ids = {c.name: find(admin, "podman", c.name)["id"] for c in (a, b, keep)}
    scope = {"scope": "tag", "tag_key": "lock-test", "tag_value": tag}
    h = admin.headers

    r = client.post("/api/orchestrate/lockdown", json={**scope, "dry_run": True}, headers=h)
    assert r.status_code == 200, r.text
    assert {m["name"] for m in r.json()["would_stop"]} == {a.name, b.name}
    assert [m["name"] for m in r.json()["protected"]] == [keep.name]
    assert {_status(c) for c in (a, b, keep)} == {"running"}

    assert_error(client.post("/api/orchestrate/lockdown", json=scope, headers=h), 400, "BAD_REQUEST")
    assert_error(client.post("/api/orchestrate/lockdown", json={**scope, "confirm": "yes"}, headers=h), 400,
                 "BAD_REQUEST")
    assert {_status(c) for c in (a, b, keep)} == {"running"}

    r = client.post("/api/orchestrate/lockdown", json={**scope, "confirm": "LOCKDOWN", "reason": "over budget"},
                    headers=h)
    assert r.status_code == 200, r.text
    lock = r.json()
    assert lock["status"] == "done" and sorted(lock["stopped"]) == sorted([ids[a.name], ids[b.name]])
    assert _status(a) == _status(b) == "exited" and _status(keep) == "running"
    assert client.get(f"/api/orchestrate/lockdown/{lock['id']}", headers=h).json()["stopped"] == lock["stopped"]
    logs = client.get(f"/api/resources/{ids[a.name]}/logs", headers=h).json()
    assert logs[0]["action"] == "stop" and logs[0]["via"] == f"lockdown {lock['id']}"

    r = client.post(f"/api/orchestrate/lockdown/{lock['id']}/restore", headers=h)
    assert r.status_code == 200 and r.json()["status"] == "restored", r.text
    assert {_status(c) for c in (a, b, keep)} == {"running"}
    assert_error(client.post(f"/api/orchestrate/lockdown/{lock['id']}/restore", headers=h), 409, "CONFLICT")
    actions = {e["action"] for e in audit_page(client, h, limit=100)["events"]}
    assert {"lockdown.dry_run", "lockdown.start", "lockdown.done", "lockdown.restore", "lockdown.restored",
            "resource.stop", "resource.start"} <= actions


def test_lockdown_is_for_admins_and_bad_input_is_refused(client, admin, member):
    scope = {"scope": "tag", "tag_key": "lock-test", "tag_value": uuid.uuid4().hex}
    assert_error(client.post("/api/orchestrate/lockdown", json={**scope, "confirm": "LOCKDOWN"},
                             headers=member.headers), 403, "FORBIDDEN")
    assert_error(client.post("/api/orchestrate/lockdown/1/restore", headers=member.headers), 403, "FORBIDDEN")
    assert_error(client.get("/api/orchestrate/lockdown", headers=member.headers), 403, "FORBIDDEN")
    h = admin.headers
    for body, status in [({"scope": "galaxy", "dry_run": True}, 400),
                         ({"scope": "account", "account_id": 999999, "dry_run": True}, 404),
                         ({"scope": "tag", "dry_run": True}, 400),
                         ({"scope": "provider", "provider": "nowhere", "dry_run": True}, 400),
                         ({"dry_run": "maybe"}, 422),
                         ({"confirm": "LOCKDOWN", "extra": 1}, 422)]:
        r = client.post("/api/orchestrate/lockdown", json=body, headers=h)
        assert r.status_code == status, (body, r.text)
        assert r.json()["success"] is False
    assert_error(client.post("/api/orchestrate/lockdown/999999/restore", headers=h), 404, "NOT_FOUND")
    assert_error(client.get("/api/orchestrate/lockdown/999999", headers=h), 404, "NOT_FOUND")
    assert client.get("/api/orchestrate/lockdown", headers=h).json() == []
