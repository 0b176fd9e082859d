"""Seed 004's `/api/ws`: container lifecycle events and throttled `metrics.update`, each only
to those who may see the machine (the `/ws` core and its ownership filter)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from cloudfold.db.models import Resource
from cloudfold.domain.metrics import sampler, store
from metrics_support import machine, reading
from helpers_api import events_until

pytestmark = pytest.mark.database


def _metrics_for(client, rid: int, cpu: float) -> None:
    """Store a sample and publish it as the sampler does."""
    rt = client.app.state.runtime
    with rt.sessions() as session:
        written = store.ingest(session, [reading(rid, datetime.now(timezone.utc) - timedelta(seconds=1), cpu)])
        session.commit()
        sampler.publish(rt, {rid: session.get(Resource, rid)}, written)



def test_each_member_hears_only_of_their_own_machines(client, member, make_account):
    alice, bob = member, make_account()
    with client.websocket_connect("/api/ws", subprotocols=["cloudfold.bearer", alice.key]) as alice_ws, \
            client.websocket_connect(f"/api/ws?token={bob.key}") as bob_ws:
        a_rid, a_vmid = machine(alice, name="alice-secret-box")
        _metrics_for(client, a_rid, 42.0)
        b_rid, b_vmid = machine(bob, name="bobs-box")
        _metrics_for(client, b_rid, 7.0)

        heard = events_until(bob_ws, lambda e: e["type"] == "metrics.update" and e["vmid"] == b_vmid)
        assert all(e.get("vmid") != a_vmid and "alice" not in json.dumps(e) for e in heard)
        assert heard[0] == {"type": "container.created", "vmid": b_vmid, "name": "bobs-box", "status": "running"}
        assert heard[-1]["cpu"] == 7.0 and not any(k.startswith("_") for k in heard[-1])

        alices = events_until(alice_ws, lambda e: e["type"] == "metrics.update" and e["vmid"] == a_vmid)
        assert alices[0]["type"] == "container.created" and alices[-1]["cpu"] == 42.0

        assert alice.client.delete(f"/api/resources/{a_rid}", headers=alice.headers).status_code in (200, 204)
        gone = events_until(alice_ws, lambda e: e["type"] == "container.deleted")
        assert gone[-1]["vmid"] == a_vmid


def test_metrics_updates_are_throttled_per_machine(client, member):
    rid, vmid = machine(member)
    with client.websocket_connect("/api/ws", subprotocols=["cloudfold.bearer", member.key]) as ws:
        _metrics_for(client, rid, 1.0)
        _metrics_for(client, rid, 2.0)  # within metrics_event_seconds: not sent
        other, other_vmid = machine(member, name="second")
        _metrics_for(client, other, 3.0)
        heard = events_until(ws, lambda e: e["type"] == "metrics.update" and e["vmid"] == other_vmid)
    updates = [e for e in heard if e["type"] == "metrics.update" and e["vmid"] == vmid]
    assert [e["cpu"] for e in updates] == [1.0]


def test_unauthenticated_sockets_are_closed(client):
    from starlette.websockets import WebSocketDisconnect

    with pytest.raises(WebSocketDisconnect) as closed:
        with client.websocket_connect("/api/ws?token=nope") as ws:
            ws.receive_text()
    assert closed.value.code == 4401


def test_engine_actions_reach_api_ws_as_container_events(client, admin, make_container, engine_socket):
    from inventory_support import find, register, sync

    register(admin, "local", "podman", {"docker_host": engine_socket})
    c = make_container()
    sync(admin, "podman")
    rid = find(admin, "podman", c.name)["id"]
    with client.websocket_connect("/api/ws", subprotocols=["cloudfold.bearer", admin.key]) as ws:
        for action, event in (("stop", "container.stopped"), ("start", "container.started")):
            r = client.post(f"/api/resources/{rid}/action", json={"action": action}, headers=admin.headers)
            assert r.status_code == 200, r.text
            heard = events_until(ws, lambda e: e["type"] == event and e["vmid"] == int(rid) + 99)
            assert heard[-1]["name"] == c.name
