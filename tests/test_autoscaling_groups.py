"""Autoscaling groups on the real Podman engine: a group reaches its desired count with
ordinary instances (named <group>-<n>, labelled with the group, visible in /instances); a
killed instance is replaced (a round driven directly, and by the schedule); schedule and
target-CPU policies change the desired count (cooldown respected); a quota refusal is a failed
activity; delete terminates the instances or keeps them; activities are audited and told on /ws."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from autoscaling_support import QUIET, activities, containers, create, get, kill, round_
from engine import IMAGE
from helpers_api import audit_page, wait_until
from localcloud_support import allow, labelled_local_account  # noqa: F401  (fixture)
from metrics_support import ingest, reading

from cloudfold.db.base import utcnow

pytestmark = pytest.mark.database  # leases and counts are conditional UPDATEs and queries: PostgreSQL too


@pytest.fixture
def client(make_client, engine_socket):
    from localcloud_support import POOL

    return make_client(auto_register_local=True, docker_host=engine_socket, local_vpc_pool=POOL, **QUIET)


def running(account, group_id: str) -> list[dict]:
    return [i for i in get(account, group_id)["instances"] if i["status"] == "running"]


def test_a_group_reaches_desired_and_replaces_a_killed_instance(client, member, engine_socket):
    group = create(member, desired_capacity=2)
    assert group["min_size"] == 1 and group["max_size"] == 3 and group["desired_capacity"] == 2
    round_(client, group["id"])
    members = running(member, group["id"])
    assert sorted(i["name"] for i in members) == [f"{group['name']}-1", f"{group['name']}-2"]
    mine = {i["id"] for i in member.client.get("/instances", headers=member.headers).json()}
    assert {i["id"] for i in members} <= mine  # ordinary instances, in every face
    on_engine = containers(engine_socket, group["id"])
    assert len(on_engine) == 2

    kill(engine_socket, on_engine[0].id)
    out = round_(client, group["id"])
    assert out["replaced"] == 1 and out["launched"] == 1, out
    after = running(member, group["id"])
    assert len(after) == 2 and f"{group['name']}-3" in {i["name"] for i in after}
    assert len(containers(engine_socket, group["id"])) == 2
    history = activities(member, group["id"])
    terminated = next(a for a in history if a["action"] == "terminate")
    assert terminated["status"] == "succeeded" and "stopped" in terminated["cause"]
    assert [a["status"] for a in history if a["action"] == "launch"] == ["succeeded"] * 3
    assert all(a["ended_at"] for a in history)
    actions = {e["action"] for e in audit_page(member.client, member.headers, limit=200)["events"]}
    assert {"autoscaling_group.create", "autoscaling.launch", "autoscaling.terminate"} <= actions


def test_the_schedule_replaces_a_killed_instance(make_client, make_account, engine_socket):
    from localcloud_support import POOL

    client = make_client(auto_register_local=True, docker_host=engine_socket, local_vpc_pool=POOL,
                         autoscaling_interval_seconds=1, metrics_sample_seconds=3600)
    member = make_account(client_=client)
    group = create(member)
    first = wait_until(lambda: running(member, group["id"]), timeout=60, what="the first instance")[0]
    kill(engine_socket, containers(engine_socket, group["id"])[0].id)
    replaced = wait_until(lambda: [i for i in running(member, group["id"]) if i["id"] != first["id"]],
                          timeout=60, what="a replacement")
    assert len(replaced) == 1 and len(get(member, group["id"])["instances"]) == 1


def test_a_schedule_sets_the_desired_count_once_per_fire(client, member, engine_socket):
    # the latest fire wins: 2 January (fixed dates, so a minute passing never fires again mid-test)
    policy = {"type": "schedule", "entries": [{"cron": "0 0 1 1 *", "desired": 0}, {"cron": "0 0 2 1 *", "desired": 2}]}
    group = create(member, min_size=0, desired_capacity=0, policy=policy)
    now = utcnow()
    round_(client, group["id"], now)
    assert get(member, group["id"])["desired_capacity"] == 2 and len(running(member, group["id"])) == 2
    scale = next(a for a in activities(member, group["id"]) if a["action"] == "scale")
    assert "0 0 2 1 *" in scale["cause"] and scale["status"] == "succeeded"
    r = member.client.put(f"/autoscaling/groups/{group['id']}", json={"desired_capacity": 1}, headers=member.headers)
    assert r.status_code == 200, r.text
    round_(client, group["id"], now)  # the same fire: a count set by hand stands until the next one
    assert get(member, group["id"])["desired_capacity"] == 1
    assert len(running(member, group["id"])) == 1


def test_target_cpu_scales_out_and_waits_for_its_cooldown(client, member):
    policy = {"type": "target_cpu", "target_percent": 50, "cooldown_s": 600}
    group = create(member, max_size=4, policy=policy)
    round_(client, group["id"])
    [one] = running(member, group["id"])
    rid = member.client.get(f"/instances/{one['id']}", headers=member.headers).json()["resource_id"]
    now = utcnow()
    ingest(client, [reading(rid, now - timedelta(seconds=s), cpu=150.0) for s in (90, 60, 30)])
    round_(client, group["id"], now)
    shown = get(member, group["id"])
    assert shown["desired_capacity"] == 3 and len(running(member, group["id"])) == 3  # ceil(1 × 150 / 50)
    scale = next(a for a in activities(member, group["id"]) if a["action"] == "scale")
    assert "150.0%" in scale["cause"] and "1 -> 3" in scale["cause"]
    round_(client, group["id"], now + timedelta(seconds=60))  # still 150%, within the cooldown
    assert get(member, group["id"])["desired_capacity"] == 3
    later = now + timedelta(seconds=601)
    ingest(client, [reading(rid, later - timedelta(seconds=s), cpu=150.0) for s in (60, 30)])
    round_(client, group["id"], later)  # past the cooldown: ceil(3 × 150 / 50) = 9, capped at max
    assert get(member, group["id"])["desired_capacity"] == 4


def test_a_quota_refusal_is_a_failed_activity(client, member, admin):
    allow(admin, member, instances=1)
    group = create(member, desired_capacity=2)
    out = round_(client, group["id"])
    assert out["failed"] == 1, out  # this round (or the one the create asked for) launched the first
    history = activities(member, group["id"])
    assert [a["status"] for a in history if a["action"] == "launch"].count("succeeded") == 1
    failed = [a for a in history if a["status"] == "failed"]
    assert failed and failed[0]["action"] == "launch" and "Quota exceeded: instances" in failed[0]["message"]
    assert get(member, group["id"])["current_count"] == 1
    allow(admin, member, autoscaling_groups=1)
    r = member.client.post("/autoscaling/groups", json={"name": "two", "launch_template": {"image": IMAGE},
                                                        "min_size": 0, "max_size": 1}, headers=member.headers)
    assert r.status_code == 403 and r.json()["detail"]["quota"] == "autoscaling_groups"


def test_delete_terminates_the_instances_or_keeps_them(client, member, engine_socket):
    gone = create(member, desired_capacity=2)
    kept = create(member, desired_capacity=1)
    round_(client, gone["id"])
    round_(client, kept["id"])
    r = member.client.delete(f"/autoscaling/groups/{gone['id']}", headers=member.headers)
    assert r.status_code == 200 and r.json()["status"] == "deleted", r.text
    assert containers(engine_socket, gone["id"], running_only=False) == []
    assert member.client.get(f"/autoscaling/groups/{gone['id']}", headers=member.headers).status_code == 404
    [instance] = get(member, kept["id"])["instances"]
    r = member.client.delete(f"/autoscaling/groups/{kept['id']}?keep_instances=true", headers=member.headers)
    assert r.status_code == 200 and r.json()["keep_instances"] is True, r.text
    assert len(containers(engine_socket, kept["id"])) == 1
    r = member.client.get(f"/instances/{instance['id']}", headers=member.headers)
    assert r.status_code == 200 and r.json()["status"] == "running"


def test_activities_are_told_to_the_owner_only(client, member, make_account):
    other = make_account()
    group = create(member)
    with client.websocket_connect(f"/ws?token={member.key}") as mine, \
            client.websocket_connect(f"/ws?token={other.key}") as theirs:
        round_(client, group["id"])
        seen = []
        while not any(e.get("type") == "autoscaling.activity" and e["status"] == "succeeded" for e in seen):
            seen.append(json.loads(mine.receive_text()))
        event = next(e for e in seen if e.get("type") == "autoscaling.activity" and e["status"] == "succeeded")
        assert event["group_id"] == group["id"] and event["action"] == "launch"
        assert not any(k.startswith("_") for k in event)
        create(other)  # the other member hears their own group's events only
        heard = json.loads(theirs.receive_text())
        assert heard["type"] == "autoscaling.group" and group["id"] not in json.dumps(heard)


def test_an_instance_gone_from_the_engine_or_terminated_by_hand_is_replaced(client, member, engine_socket):
    import docker

    group = create(member, desired_capacity=2)
    round_(client, group["id"])
    first, second = running(member, group["id"])
    engine = docker.DockerClient(base_url=engine_socket, timeout=60)
    try:
        [container] = [c for c in containers(engine_socket, group["id"]) if c.labels["cloudfold.id"] == first["id"]]
        engine.containers.get(container.id).remove(force=True)
    finally:
        engine.close()
    r = member.client.delete(f"/instances/{second['id']}", headers=member.headers)
    assert r.status_code == 200, r.text
    out = round_(client, group["id"])
    assert out["launched"] == 2, out
    now = running(member, group["id"])
    assert len(now) == 2 and not {first["id"], second["id"]} & {i["id"] for i in now}
    assert any("gone from the engine" in a["cause"] for a in activities(member, group["id"]))
