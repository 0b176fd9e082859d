"""Autoscaling groups behind a load balancer, on the real HAProxy and real busybox httpd
instances on Podman: a group registers what it launches, traffic spreads over all of them, an
instance failing the balancer's health check is replaced, a deleted group is drained, and a
balancer of another member cannot be named."""

from __future__ import annotations

import docker
import pytest

from autoscaling_support import QUIET, activities, create, get, round_
from engine import IMAGE

from cloudfold.drivers.local.provision import ID_LABEL
from lb_support import FAST, SERVE, all_healthy, hits, lb, ports, proxied, states, until  # noqa: F401  (fixture)
from localcloud_support import POOL, labelled_local_account  # noqa: F401  (fixture)

pytestmark = pytest.mark.database


@pytest.fixture
def client(make_client, engine_socket, ports, tmp_path):
    yield from proxied(make_client, engine_socket, ports, tmp_path, **QUIET)


def web_group(member, balancer: dict, desired: int) -> dict:
    return create(member, min_size=1, max_size=4, desired_capacity=desired, load_balancer_id=balancer["id"],
                  target_port=8080, health_check_grace_s=0,
                  launch_template={"image": IMAGE, "command": SERVE, "ports": ["8080"]})


def exec_in(engine_socket: str, instance_id: str, command: list[str]) -> None:
    engine = docker.DockerClient(base_url=engine_socket, timeout=60)
    try:
        [found] = engine.containers.list(filters={"label": f"{ID_LABEL}={instance_id}"})
        assert found.exec_run(command).exit_code == 0
    finally:
        engine.close()


def test_a_group_behind_a_balancer_spreads_traffic_and_replaces_a_failing_instance(client, member, engine_socket):
    balancer = lb(member, health_check={**FAST, "path": "/who"})
    group = web_group(member, balancer, 3)
    round_(client, group["id"])
    members = {i["id"] for i in get(member, group["id"])["instances"]}
    assert len(members) == 3
    until(all_healthy(member, balancer["id"], 3))
    assert set(states(member, balancer["id"])) == members  # every instance it made is a target
    spread = hits(balancer["address"], 30)
    assert len(spread) == 3 and min(spread.values()) >= 8, spread

    sick = sorted(members)[0]
    exec_in(engine_socket, sick, ["rm", "/www/who"])  # running, but its health check gets 404
    until(lambda: states(member, balancer["id"]).get(sick) == "unhealthy")
    assert len(hits(balancer["address"], 10)) == 2  # traffic goes on over the two healthy ones
    out = round_(client, group["id"])
    assert out["replaced"] == 1 and out["launched"] == 1 and out["failed"] == 0, out
    now = {i["id"] for i in get(member, group["id"])["instances"]}
    assert sick not in now and len(now) == 3
    replaced = [a for a in activities(member, group["id"]) if a["action"] == "terminate" and a["instance_id"] == sick]
    assert replaced and "health check" in replaced[0]["cause"], replaced
    until(all_healthy(member, balancer["id"], 3))
    assert set(states(member, balancer["id"])) == now

    r = member.client.delete(f"/autoscaling/groups/{group['id']}", headers=member.headers)
    assert r.status_code == 200 and r.json()["status"] == "deleted", r.text
    assert states(member, balancer["id"]) == {}  # drained


def test_another_members_balancer_cannot_be_named(client, member, make_account):
    other = make_account()
    theirs = lb(other)
    r = member.client.post("/autoscaling/groups", headers=member.headers, json={
        "name": "mine", "min_size": 0, "max_size": 1, "desired_capacity": 0, "load_balancer_id": theirs["id"],
        "target_port": 8080, "launch_template": {"image": IMAGE, "command": SERVE, "ports": ["8080"]}})
    assert r.status_code == 404 and r.json()["code"] == "NOT_FOUND", r.text
    assert theirs["name"] not in r.text
