"""Load balancers and routes are part of the local cloud: without a registered local engine
(this app registers none) they are refused with 409, and nothing is made."""

from __future__ import annotations

from conftest import assert_error


def test_no_local_engine_no_load_balancer_or_route(client, member):
    assert_error(client.post("/loadbalancers", json={"name": "x"}, headers=member.headers), 409, "CONFLICT")
    assert_error(client.post("/routes", json={"name": "x", "prefix": "/x", "target": "http://example.org"},
                             headers=member.headers), 409, "CONFLICT")
    assert client.get("/loadbalancers", headers=member.headers).json() == []
    assert client.get("/routes", headers=member.headers).json() == []
