"""One action path behind three faces (seed 000 /vms, seed 001 /api/resources/{id}/action),
against real Podman containers, with history, audit and /ws events."""

from __future__ import annotations

import json

from conftest import assert_error
from inventory_support import find, register, sync
import pytest

pytestmark = pytest.mark.database  # also run on PostgreSQL in CI


def _setup(admin, make_container, engine_socket):
    c = make_container()
    register(admin, "local", "podman", {"docker_host": engine_socket})
    sync(admin, "podman")
    return c, find(admin, "podman", c.name)


def _next_change(ws, resource_id: int) -> dict:
    for _ in range(50):
        event = json.loads(ws.receive_text())
        if event.get("type") == "resource_change" and event["resource_id"] == str(resource_id):
            return event
    raise AssertionError("no resource_change event arrived")


def test_actions_through_each_face_reach_the_engine_and_emit_events(client, admin, make_container, engine_socket):
    c, rec = _setup(admin, make_container, engine_socket)
    rid, h = rec["id"], admin.headers
    with client.websocket_connect(f"/ws?token={admin.key}") as ws:
        ws.send_text("ping")
        assert json.loads(ws.receive_text()) == {"type": "pong"}

        r = client.post(f"/vms/{rid}/stop", headers=h)
        assert r.status_code == 200, r.text
        assert r.json()["previousStatus"] == "running" and r.json()["status"] == "stopped"
        c.reload()
        assert c.status == "exited"
        event = _next_change(ws, rid)
        assert event == {**event, "action": "stop", "provider_id": "podman", "status": "stopped"}

        assert_error(client.post(f"/vms/{rid}/stop", headers=h), 409, "CONFLICT")
        assert_error(client.post(f"/vms/{rid}/reboot", headers=h), 409, "CONFLICT")

        r = client.post(f"/api/resources/{rid}/action", json={"action": "start"}, headers=h)
        assert r.status_code == 200 and r.json()["status"] == "running", r.text
        c.reload()
        assert c.status == "running"
        assert _next_change(ws, rid)["action"] == "start"

        r = client.post(f"/vms/{c.name}/reboot", headers=h)  # by container name too
        assert r.status_code == 200 and r.json()["status"] == "running", r.text
        assert _next_change(ws, rid)["action"] == "reboot"

    status = client.get(f"/vms/{rid}/status", headers=h).json()
    assert status["status"] == "running" and status["ip"] and status["lastCheck"]
    assert set(status) >= {"ip", "pingable", "sshable", "latencyMs", "lastCheck"}

    logs = client.get(f"/api/resources/{rid}/logs", headers=h).json()
    assert [entry["action"] for entry in logs][:5] == ["reboot", "start", "reboot", "stop", "stop"]
    assert [entry["result"] for entry in logs][:5] == ["success", "success", "blocked", "blocked", "success"]
    assert logs[0]["via"] == "POST /vms/{vmId}/reboot" and logs[2]["status_before"] == "stopped"
    audit = client.get("/monitor/audit", params={"action": "resource.stop"}, headers=h).json()
    assert audit["total"] == 2 and {e["result"] for e in audit["events"]} == {"success", "blocked"}


def test_terminate_removes_the_container(client, admin, make_container, engine, engine_socket):
    c, rec = _setup(admin, make_container, engine_socket)
    r = client.post(f"/api/resources/{rec['id']}/action", json={"action": "terminate"}, headers=admin.headers)
    assert r.status_code == 200 and r.json()["status"] == "terminated", r.text
    assert c.id not in {x.id for x in engine.containers.list(all=True)}
    assert_error(client.post(f"/api/resources/{rec['id']}/action", json={"action": "terminate"}, headers=admin.headers),
                 409, "CONFLICT")


def test_machine_control_needs_admin_and_refusals_are_recorded(client, admin, member, make_container, engine_socket):
    c, rec = _setup(admin, make_container, engine_socket)
    # the local account belongs to the admin: the member does not see its machines
    assert_error(client.post(f"/vms/{rec['id']}/stop", headers=member.headers), 403, "FORBIDDEN")
    assert_error(client.post(f"/api/resources/{rec['id']}/action", json={"action": "stop"}, headers=member.headers),
                 404, "NOT_FOUND")
    key = client.post("/auth/keys", json={"name": "ro", "scopes": ["read"]}, headers=admin.headers).json()["key"]
    assert_error(client.post(f"/api/resources/{rec['id']}/action", json={"action": "stop"}, headers={"X-API-Key": key}),
                 403, "FORBIDDEN")
    logs = client.get(f"/api/resources/{rec['id']}/logs", headers=admin.headers).json()
    assert logs[0]["result"] == "blocked" and "admin" in logs[0]["message"]
    c.reload()
    assert c.status == "running"


def test_bad_action_input(client, admin, make_container, engine_socket):
    _, rec = _setup(admin, make_container, engine_socket)
    h = admin.headers
    assert_error(client.post(f"/api/resources/{rec['id']}/action", json={"action": "explode"}, headers=h), 422, "BAD_REQUEST")
    assert_error(client.post(f"/api/resources/{rec['id']}/action", json={}, headers=h), 422, "BAD_REQUEST")
    assert_error(client.post("/api/resources/999999/action", json={"action": "stop"}, headers=h), 404, "NOT_FOUND")
    assert_error(client.post("/vms/no-such-vm/start", headers=h), 404, "NOT_FOUND")


def test_engine_gone_gives_503_and_changes_nothing(client, admin, make_container, engine_socket):
    c, rec = _setup(admin, make_container, engine_socket)
    admin.client.put("/api/providers/podman", json={"config": {"docker_host": "unix:///nonexistent.sock"}},
                     headers=admin.headers)
    body = assert_error(client.post(f"/vms/{rec['id']}/stop", headers=admin.headers), 503, "SERVICE_UNAVAILABLE")
    assert "unreachable" in body["message"]
    assert client.get(f"/api/resources/{rec['id']}", headers=admin.headers).json()["status"] == "running"
    c.reload()
    assert c.status == "running"


def test_ws_needs_credentials(client):
    import pytest
    from starlette.websockets import WebSocketDisconnect

    with pytest.raises(WebSocketDisconnect) as info:
        with client.websocket_connect("/ws?token=nope") as ws:
            ws.receive_text()
    assert info.value.code == 4401
