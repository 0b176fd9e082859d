"""The signal sources over package A's monitors and package B's metric samples. Those tables
come with the other packages of issue 10: these tests run once their models are importable
(after the merge) and are skipped before, as the brief of this package says."""

from __future__ import annotations

from datetime import timedelta

import pytest
from alerts_support import QUICK, Clock, active, machine, post
from conftest import assert_error
from helpers_api import db

pytestmark = pytest.mark.database


@pytest.fixture
def client(make_client):
    return make_client(**QUICK)


def _user_id(client, account) -> int:
    return client.get("/auth/me", headers=account.headers).json()["id"]


def _monitor(client, owner_id: int, **fields) -> int:
    from cloudfold.db import models
    with db(client) as session:
        row = models.Monitor(owner_id=owner_id, kind="http", name="shop", target="https://shop.example.com/",
                             **fields)
        session.add(row)
        session.flush()
        return row.id


def _set_monitor(client, monitor_id: int, **fields) -> None:
    from cloudfold.db import models
    with db(client) as session:
        row = session.get(models.Monitor, monitor_id)
        for k, v in fields.items():
            setattr(row, k, v)


def test_target_down_follows_the_monitor_state(client, member, make_account):
    monitor_id = _monitor(client, _user_id(client, member), state="up")
    post(member, "/api/alert-rules", {"name": "down", "kind": "target_down", "monitor_id": monitor_id})
    clock = Clock(client)
    clock.tick()
    _set_monitor(client, monitor_id, state="down")
    clock.tick(2)
    assert active(member) == []
    clock.tick()
    [alert] = active(member)
    assert alert["monitor_id"] == monitor_id and alert["target"] == "shop"
    _set_monitor(client, monitor_id, state="up")
    clock.tick(2)
    assert active(member) == []
    other = make_account()
    assert_error(client.post("/api/alert-rules", json={"name": "x", "kind": "target_down", "monitor_id": monitor_id},
                             headers=other.headers), 404, "NOT_FOUND")


def test_latency_and_certificate_rules(client, member):
    clock = Clock(client)
    monitor_id = _monitor(client, _user_id(client, member), state="up", last_latency_ms=900.0,
                          cert_expires_at=clock.next + timedelta(days=3))
    post(member, "/api/alert-rules", {"name": "slow", "kind": "latency_above", "params": {"threshold_ms": 500},
                                      "open_after": 1})
    post(member, "/api/alert-rules", {"name": "cert", "kind": "cert_expiring", "params": {"days": 7},
                                      "open_after": 1})
    clock.tick()
    alerts = {a["rule"]: a for a in active(member)}
    assert alerts["slow"]["value"] == 900.0 and 2.9 < alerts["cert"]["value"] <= 3.0
    _set_monitor(client, monitor_id, last_latency_ms=100.0, cert_expires_at=clock.next + timedelta(days=60))
    clock.tick(2)
    assert active(member) == []


def test_cpu_above_for_minutes(client, member):
    from cloudfold.db import models
    box = machine(member)
    post(member, "/api/alert-rules", {"name": "hot", "kind": "cpu_above", "resource_id": box["id"],
                                      "params": {"threshold": 80, "minutes": 5}, "open_after": 1, "resolve_after": 1})
    clock = Clock(client)
    at = clock.next
    with db(client) as session:
        for i in range(12):  # 6 minutes at 95 %, one sample every 30 s
            session.add(models.MetricSample(resource_id=box["id"], time=at - timedelta(seconds=30 * i),
                                            cpu_percent=95.0, mem_percent=10.0))
    clock.tick()
    [alert] = active(member)
    assert alert["kind"] == "cpu_above" and alert["value"] == 95.0
    at = clock.next
    with db(client) as session:
        session.add(models.MetricSample(resource_id=box["id"], time=at - timedelta(seconds=10), cpu_percent=20.0))
    clock.tick()  # the samples a period ago are out of the window; the one that is in is low
    assert active(member) == []
