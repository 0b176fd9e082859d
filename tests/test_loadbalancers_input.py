"""Load balancers: bad input (the project's error shape, nothing changed), ports taken (409),
the quota, and a second member who can neither see nor use the first one's load balancers or
instances."""

from __future__ import annotations

import json
import socket

import pytest

from conftest import assert_error
from lb_support import attach, client, lb, ports, web  # noqa: F401  (fixtures)
from localcloud_support import allow, labelled_local_account, launch  # noqa: F401  (fixture)
from helpers_api import events_until

pytestmark = pytest.mark.database


def post(account, body: dict, path: str = "/loadbalancers"):
    return account.client.post(path, json=body, headers=account.headers)


@pytest.mark.parametrize("body", [
    {},  # no name
    {"name": ""},
    {"name": "bad name"},
    {"name": "x", "algorithm": "random"},
    {"name": "x", "port": "eighty"},
    {"name": "x", "port": 70000},
    {"name": "x", "health_check": {"interval_s": 0}},
    {"name": "x", "health_check": {"path": "no-slash"}},
    {"name": "x", "health_check": {"unhealthy_threshold": 11}},
    {"name": "x", "health_check": {"interval_s": 2, "timeout_s": 3}},  # timeout longer than the interval
    {"name": "x", "unknown": 1},
])
def test_bad_input_is_a_400_and_changes_nothing(client, member, body):
    assert_error(post(member, body), 400, "BAD_REQUEST")
    assert member.client.get("/loadbalancers", headers=member.headers).json() == []


def test_ports_given_chosen_and_taken(client, member, admin, ports):
    low = int(ports["lb_port_range"].split("-")[0])
    first = lb(member)
    assert first["port"] == low and first["address"] == f"http://127.0.0.1:{low}"
    assert_error(post(member, {"name": "again", "port": low}), 409, "CONFLICT")
    assert_error(post(member, {"name": first["name"]}), 409, "CONFLICT")  # a name of yours already
    with socket.socket() as holder:  # something else on the host holds the port
        holder.bind(("127.0.0.1", low + 5))
        holder.listen()
        assert_error(post(member, {"name": "held", "port": low + 5}), 409, "CONFLICT")
    assert_error(post(member, {"name": "gw", "port": ports["gateway_port"]}), 403, "FORBIDDEN")  # outside the range
    assert_error(post(admin, {"name": "gw", "port": ports["gateway_port"]}), 409, "CONFLICT")  # the gateway's
    assert_error(post(member, {"name": "far", "port": 1080}), 403, "FORBIDDEN")
    r = member.client.put(f"/loadbalancers/{first['id']}", json={"port": low + 5}, headers=member.headers)
    assert r.status_code == 200 and r.json()["port"] == low + 5
    assert_error(member.client.put(f"/loadbalancers/{first['id']}", json={"algorithm": "fastest"},
                                   headers=member.headers), 400, "BAD_REQUEST")
    assert_error(member.client.put("/loadbalancers/nope", json={"name": "y"}, headers=member.headers), 404, "NOT_FOUND")
    assert_error(member.client.delete("/loadbalancers/nope", headers=member.headers), 404, "NOT_FOUND")


def test_targets_bad_input(client, member):
    balancer = lb(member)
    quiet = launch(member, None)  # publishes no port
    path = f"/loadbalancers/{balancer['id']}/targets"
    assert_error(post(member, {"instance_id": quiet["id"], "port": 8080}, path), 400, "BAD_REQUEST")
    assert_error(post(member, {"instance_id": "nope", "port": 8080}, path), 404, "NOT_FOUND")
    assert_error(post(member, {"instance_id": quiet["id"]}, path), 400, "BAD_REQUEST")
    assert_error(post(member, {"instance_id": quiet["id"], "port": 0}, path), 400, "BAD_REQUEST")
    assert_error(post(member, {"instance_id": quiet["id"], "port": 8080}, "/loadbalancers/nope/targets"),
                 404, "NOT_FOUND")
    assert_error(member.client.delete(f"{path}/{quiet['id']}", headers=member.headers), 404, "NOT_FOUND")
    assert member.client.get(path, headers=member.headers).json() == []


def test_a_second_member_cannot_see_or_use_the_first_ones(client, member, make_account):
    other = make_account()
    mine, theirs = web(member), web(other)
    balancer = lb(member)
    attach(member, balancer["id"], mine["id"])
    own = lb(other)
    lb_path = f"/loadbalancers/{balancer['id']}"
    for r in (other.client.get(lb_path, headers=other.headers),
              other.client.get(f"{lb_path}/targets", headers=other.headers),
              other.client.put(lb_path, json={"name": "mine-now"}, headers=other.headers),
              post(other, {"instance_id": theirs["id"], "port": 8080}, f"{lb_path}/targets"),
              other.client.delete(f"{lb_path}/targets/{mine['id']}", headers=other.headers),
              other.client.delete(lb_path, headers=other.headers),
              post(other, {"instance_id": mine["id"], "port": 8080}, f"/loadbalancers/{own['id']}/targets")):
        body = assert_error(r, 404, "NOT_FOUND")
        assert balancer["name"] not in str(body) and str(balancer["port"]) not in str(body)  # ids echo the caller's
    assert [x["id"] for x in other.client.get("/loadbalancers", headers=other.headers).json()] == [own["id"]]
    assert [x["id"] for x in member.client.get("/loadbalancers", headers=member.headers).json()] == [balancer["id"]]
    r = member.client.get(lb_path, headers=member.headers).json()
    assert r["name"] == balancer["name"] and [t["instance_id"] for t in r["targets"]] == [mine["id"]]
    again = attach(member, balancer["id"], mine["id"])  # the same target again: nothing changes
    assert [(t["instance_id"], t["port"]) for t in again["targets"]] == [(mine["id"], 8080)]


def test_quota(client, member, admin):
    allow(admin, member, load_balancers=1)
    lb(member)
    body = assert_error(post(member, {"name": "second"}), 403, "FORBIDDEN")
    assert body["detail"]["quota"] == "load_balancers"
    assert len(member.client.get("/loadbalancers", headers=member.headers).json()) == 1
    used = member.client.get("/api/quotas/me", headers=member.headers).json()["quotas"]["load_balancers"]
    assert used["used"] == 1 and used["limit"] == 1


def test_viewer_scope_cannot_create(client, make_account):
    viewer = make_account("viewer")
    assert_error(post(viewer, {"name": "x"}), 403, "FORBIDDEN")
    assert viewer.client.get("/loadbalancers", headers=viewer.headers).status_code == 200



def test_changes_are_told_on_ws_to_their_owner_only(client, member, make_account):
    alice, bob = member, make_account()
    with client.websocket_connect(f"/ws?token={bob.key}") as bob_ws, \
            client.websocket_connect(f"/ws?token={alice.key}") as alice_ws:
        mine = lb(alice)
        r = alice.client.put(f"/loadbalancers/{mine['id']}", json={"algorithm": "least_conn"}, headers=alice.headers)
        assert r.status_code == 200, r.text
        route = post(alice, {"name": "r", "prefix": "/alice", "target": mine["id"]}, "/routes")
        assert route.status_code == 201, route.text
        theirs = lb(bob)
        heard = events_until(alice_ws, lambda e: e.get("type") == "gateway_route")
        assert [(e["type"], e["action"]) for e in heard if e.get("id") == mine["id"]] == [
            ("load_balancer", "create"), ("load_balancer", "update")]
        bobs = events_until(bob_ws, lambda e: e.get("id") == theirs["id"])
        assert all(mine["id"] not in json.dumps(e) and "/alice" not in json.dumps(e) for e in bobs)
