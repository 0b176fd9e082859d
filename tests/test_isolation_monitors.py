"""Isolation of monitors: `monitor.state` events reach only those who may see the monitor (its
owner and admins; a shared machine's auto monitors everyone), and no face tells a second member
anything of the first member's monitors."""

from __future__ import annotations

import json

import pytest

import monitor_targets

pytestmark = pytest.mark.database


@pytest.fixture
def client(make_client):
    return make_client(monitor_engine=True, egress_allow=["127.0.0.0/8"], monitor_jitter_seconds=0, monitor_tick_seconds=0.1)


def _down_monitor(client, who, name) -> int:
    target = f"127.0.0.1:{monitor_targets.free_port()}"  # nothing listens: down at the first check
    r = client.post("/api/monitors", json={"kind": "tcp", "target": target, "name": name, "retries": 0},
                    headers=who.headers)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _state_events_until(ws, monitor_id: int, limit: int = 50) -> list[dict]:
    seen = []
    for _ in range(limit):
        event = json.loads(ws.receive_text())
        seen.append(event)
        if event.get("type") == "monitor.state" and event["monitor_id"] == monitor_id:
            return seen
    raise AssertionError(f"no monitor.state for {monitor_id} in {seen}")


def test_state_events_reach_only_who_may_see(client, make_account):
    alice, bob, admin = make_account(), make_account(), make_account("admin")
    with client.websocket_connect(f"/ws?token={alice.key}") as alice_ws, \
            client.websocket_connect(f"/ws?token={bob.key}") as bob_ws, \
            client.websocket_connect(f"/ws?token={admin.key}") as admin_ws:
        mine = _down_monitor(client, alice, "alice-secret-monitor")
        event = _state_events_until(alice_ws, mine)[-1]
        assert event == {"type": "monitor.state", "monitor_id": mine, "state": "down", "resource_id": None,
                         "name": "alice-secret-monitor", "kind": "tcp"}
        _state_events_until(admin_ws, mine)
        bobs = _down_monitor(client, bob, "bobs")
        heard = _state_events_until(bob_ws, bobs)
        assert all(e.get("monitor_id") != mine and "alice-secret-monitor" not in json.dumps(e) for e in heard)


def test_no_face_leaks_another_members_monitors(client, make_account):
    alice, bob = make_account(), make_account()
    mine = _down_monitor(client, alice, "alice-secret-monitor")
    for path in ("/api/monitors", "/api/monitors?kind=tcp", "/api/monitors?state=down", "/monitor",
                 "/monitor/summary", "/monitor/endpoints", "/monitor/vm-status"):
        r = client.get(path, headers=bob.headers)
        assert r.status_code == 200 and "alice-secret-monitor" not in r.text, (path, r.text)
    for path in (f"/api/monitors/{mine}", f"/api/monitors/{mine}/checks", f"/api/monitors/{mine}/uptime"):
        r = client.get(path, headers=bob.headers)
        assert r.status_code == 404 and "alice-secret-monitor" not in r.text
    assert client.get("/monitor/summary", headers=bob.headers).json()["monitors"]["total"] == 0
