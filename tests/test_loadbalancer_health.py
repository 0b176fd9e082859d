"""Target health reaches the monitoring: the proxy's supervisor keeps each target's state in the
database (a change published once to the balancer's owner), and an `lb_target_unhealthy` alert
rule opens for a failing target and resolves when it recovers — on the real HAProxy and busybox
httpd instances on Podman. Another member neither hears the change nor can watch the instance."""

from __future__ import annotations

import json

import pytest
from alerts_support import QUICK, Clock, active, post
from conftest import assert_error
from helpers_api import db, events_until
from lb_support import attach, lb, ports, proxied, until, web  # noqa: F401  (fixture)
from localcloud_support import POOL, labelled_local_account  # noqa: F401  (fixture)
from sqlalchemy import select
from test_localcloud_instances import container

from cloudfold.db.models import CloudObject, LbTarget

pytestmark = pytest.mark.database


@pytest.fixture
def client(make_client, engine_socket, ports, tmp_path):
    yield from proxied(make_client, engine_socket, ports, tmp_path, **QUICK)


def stored(client, instance_id: str) -> str | None:
    with db(client) as session:
        return session.scalar(select(LbTarget.state).where(LbTarget.instance_id == instance_id))


def test_an_unhealthy_target_opens_an_alert_and_its_recovery_resolves_it(client, member, make_account, engine):
    a, b = web(member), web(member)
    balancer = lb(member)
    attach(member, balancer["id"], a["id"])
    attach(member, balancer["id"], b["id"])
    until(lambda: stored(client, a["id"]) == "healthy" and stored(client, b["id"]) == "healthy")
    with db(client) as session:
        resource_id = session.scalar(select(CloudObject.resource_id).where(CloudObject.id == a["id"]))
    post(member, "/api/alert-rules", {"name": "lb", "kind": "lb_target_unhealthy", "open_after": 1})
    clock = Clock(client)
    clock.tick()
    assert active(member) == []

    container(engine, a).exec_run(["rm", "/www/index.html"])  # its health check now gets 404
    until(lambda: stored(client, a["id"]) == "unhealthy")
    assert stored(client, b["id"]) == "healthy"
    clock.tick()
    [alert] = active(member)
    assert alert["resource_id"] == resource_id and a["name"] in alert["target"], alert

    container(engine, a).exec_run(["sh", "-c", "echo ok > /www/index.html"])
    until(lambda: stored(client, a["id"]) == "healthy")
    clock.tick(2)
    assert active(member) == []

    other = make_account()
    assert_error(other.client.post("/api/alert-rules", json={"name": "x", "kind": "lb_target_unhealthy",
                                                             "resource_id": resource_id}, headers=other.headers),
                 404, "NOT_FOUND")
    post(other, "/api/alert-rules", {"name": "all", "kind": "lb_target_unhealthy", "open_after": 1})
    container(engine, a).exec_run(["rm", "/www/index.html"])
    until(lambda: stored(client, a["id"]) == "unhealthy")
    clock.tick()
    assert active(other) == []  # the other member's rule sees none of the first member's targets
    assert len(active(member)) == 1


def test_state_changes_are_told_on_ws_to_the_owner_only(client, member, make_account):
    alice, bob = member, make_account()
    with client.websocket_connect(f"/ws?token={bob.key}") as bob_ws, \
            client.websocket_connect(f"/ws?token={alice.key}") as alice_ws:
        a = web(alice)
        mine = lb(alice)
        attach(alice, mine["id"], a["id"])
        heard = events_until(alice_ws, lambda e: e.get("action") == "target_state")
        assert heard[-1] == {**heard[-1], "type": "load_balancer", "id": mine["id"], "instance_id": a["id"],
                             "state": "healthy"}
        theirs = lb(bob)
        bobs = events_until(bob_ws, lambda e: e.get("id") == theirs["id"])
        assert all(mine["id"] not in json.dumps(e) and a["id"] not in json.dumps(e) for e in bobs)
