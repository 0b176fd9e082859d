"""Seed 003 instances and volumes on the real Podman engine: HTTP through a published port,
reachability inside a subnet and none across VPCs, status changes on the one action path,
data that outlives an instance, and every fault answered in the one error shape with
nothing left behind."""

from __future__ import annotations

import ipaddress
import socket
import time

from conftest import assert_error
from engine import IMAGE
from localcloud_support import (  # noqa: F401  (fixtures)
    LABELS,
    client,
    free_port,
    labelled_local_account,
    launch,
    make,
    vpc_with_subnet,
)
from test_images_templates import _fetch
from test_local_actions import _next_change
import pytest

pytestmark = pytest.mark.database  # also run on PostgreSQL in CI

HTTPD = ("httpd", "-f", "-p", "8080", "-h", "/www")


def container(engine, instance: dict):
    (c,) = engine.containers.list(all=True, filters={"label": f"cloudfold.id={instance['id']}"})
    return c


def leftovers(engine) -> int:
    return len(engine.containers.list(all=True, filters={"label": [f"{k}={v}" for k, v in LABELS.items()]}))


def pings(engine, source: dict, target_ip: str) -> bool:
    return container(engine, source).exec_run(["ping", "-c", "1", "-W", "2", target_ip]).exit_code == 0


def test_instance_serves_http_through_its_published_port(client, member, engine):
    vpc, sub = vpc_with_subnet(member)
    port = free_port()
    inst = launch(member, sub, command=HTTPD, ports=f"{port}:8080", env={"GREETING": "hi"}, cpu=0.5, memory=64,
                  service="shop")
    assert inst == {**inst, "status": "running", "vpc_id": vpc["id"], "subnet_id": sub["id"], "image": IMAGE,
                    "ports": [f"{port}:8080/tcp"], "cpu": 0.5, "memory": 64, "env": {"GREETING": "hi"},
                    "service": "shop"}
    assert ipaddress.ip_address(inst["private_ip"]) in ipaddress.ip_network(sub["cidr_block"])
    assert b"cloudfold" in _fetch(f"http://127.0.0.1:{port}/")

    c = container(engine, inst)
    assert c.attrs["HostConfig"]["Memory"] == 64 * 2**20 and c.attrs["HostConfig"]["NanoCpus"] == 500_000_000
    assert "GREETING=hi" in c.attrs["Config"]["Env"]
    assert c.attrs["Config"]["Labels"]["cloudfold.service"] == "shop"
    # its service label makes it seed 000's service "shop" at once, without a sync
    health = client.get("/services/shop/health", headers=member.headers).json()
    assert (health["status"], health["running"], [x["id"] for x in health["containers"]]) == \
        ("healthy", 1, [inst["resource_id"]])
    h = member.headers
    assert client.get(f"/instances/{inst['id']}", headers=h).json() == inst
    assert [i["id"] for i in client.get("/instances", headers=h).json()] == [inst["id"]]
    # one machine, every face: the inventory and seed 004's vmid name the same record
    assert client.get(f"/api/resources/{inst['resource_id']}", headers=h).json()["status"] == "running"
    assert client.get(f"/api/containers/{inst['vmid']}/status", headers=h).json()["status"] == "running"


def addresses(engine, instance: dict) -> list[str]:
    """Every address the instance's container has (its subnet's and, when it publishes, its VPC edge's)."""
    return [n["IPAddress"] for n in container(engine, instance).attrs["NetworkSettings"]["Networks"].values()]


def edge_networks(engine, vpc: dict) -> list:
    return [n for n in engine.networks.list() if (n.attrs.get("Labels") or {}).get("cloudfold.id") == vpc["id"]]


def test_instances_reach_each_other_in_a_subnet_but_not_across_vpcs(client, member, engine):
    vpc, sub = vpc_with_subnet(member)
    _, other_sub = vpc_with_subnet(member)
    _, third_sub = vpc_with_subnet(member)
    a, b = launch(member, sub), launch(member, sub)
    # instances that publish ports are on their VPC's edge network too
    published = launch(member, sub, ports=f"{free_port()}:8080")
    outsider = launch(member, other_sub, ports=f"{free_port()}:8080")
    third = launch(member, third_sub, ports=f"{free_port()}:8080")
    assert pings(engine, a, b["private_ip"]) and pings(engine, b, a["private_ip"])
    assert pings(engine, a, published["private_ip"])
    assert len(addresses(engine, outsider)) == 2
    for one, other in ((outsider, a), (a, outsider), (outsider, third), (third, outsider), (third, published),
                       (published, outsider)):
        for ip in addresses(engine, other):
            assert not pings(engine, one, ip), f"{one['name']} reaches {other['name']} at {ip}"

    # the VPC's edge network stays while the VPC does, and goes with it
    for inst in (a, b, published):
        assert client.delete(f"/instances/{inst['id']}", headers=member.headers).status_code == 200
    assert len(edge_networks(engine, vpc)) == 1
    assert client.delete(f"/subnets/{sub['id']}", headers=member.headers).status_code == 200
    assert client.delete(f"/vpcs/{vpc['id']}", headers=member.headers).status_code == 200
    assert not edge_networks(engine, vpc)


def test_status_changes_take_the_one_action_path(client, member, make_account, engine):
    _, sub = vpc_with_subnet(member)
    inst = launch(member, sub)
    h, path = member.headers, f"/instances/{inst['id']}"
    with client.websocket_connect(f"/ws?token={member.key}") as ws:
        r = client.put(path, json={"status": "stopped"}, headers=h)
        assert r.status_code == 200 and r.json()["status"] == "stopped", r.text
        assert _next_change(ws, inst["resource_id"])["action"] == "stop"
    assert container(engine, inst).status == "exited"
    assert_error(client.put(path, json={"status": "stopped"}, headers=h), 409, "CONFLICT")
    assert client.put(path, json={"status": "running"}, headers=h).json()["status"] == "running"
    assert container(engine, inst).status == "running"
    logs = client.get(f"/api/resources/{inst['resource_id']}/logs", headers=h).json()
    assert [(x["action"], x["result"]) for x in logs] == [("start", "success"), ("stop", "blocked"), ("stop", "success")]
    assert logs[0]["via"] == "PUT /instances/{id}"
    assert client.get("/monitor/audit", params={"action": "resource.stop"}, headers=h).json()["total"] == 2

    assert_error(client.put(path, json={"status": "paused"}, headers=h), 400, "BAD_REQUEST")
    assert_error(client.put(path, json={}, headers=h), 400, "BAD_REQUEST")
    assert_error(client.put("/instances/nope", json={"status": "stopped"}, headers=h), 404, "NOT_FOUND")
    viewer = {"X-API-Key": client.post("/auth/keys", json={"name": "ro", "scopes": ["read"]}, headers=h).json()["key"]}
    assert_error(client.put(path, json={"status": "stopped"}, headers=viewer), 403, "FORBIDDEN")
    assert_error(client.delete(path, headers=viewer), 403, "FORBIDDEN")
    stranger = make_account("member").headers
    for call in (client.get(path, headers=stranger), client.delete(path, headers=stranger),
                 client.put(path, json={"status": "stopped"}, headers=stranger)):
        assert_error(call, 404, "NOT_FOUND")
    assert client.get("/instances", headers=stranger).json() == []

    r = client.delete(path, headers=h)
    assert r.status_code == 200 and r.json()["status"] == "terminated", r.text
    assert not engine.containers.list(all=True, filters={"label": f"cloudfold.id={inst['id']}"})
    assert_error(client.get(path, headers=h), 404, "NOT_FOUND")
    assert_error(client.delete(path, headers=h), 404, "NOT_FOUND")


def test_volume_data_outlives_its_instance(client, member, admin, make_account, engine):
    h = member.headers
    vol = make(member, "/volumes", {"name": "data-vol", "size_gb": 10})
    assert vol == {**vol, "name": "data-vol", "size_gb": 10, "status": "available", "attached_to": []}
    mounts = [{"volume_id": vol["id"], "mount_path": "/data"}]
    writer = launch(member, command=("sh", "-c", "echo kept > /data/note && sleep 300"), volumes=mounts)
    assert writer["volumes"] == mounts and writer["vpc_id"] is None
    assert client.get(f"/volumes/{vol['id']}", headers=h).json()["attached_to"] == [writer["id"]]
    body = assert_error(client.delete(f"/volumes/{vol['id']}", headers=h), 409, "CONFLICT")
    assert writer["name"] in body["message"]
    deadline = time.monotonic() + 10
    while container(engine, writer).exec_run(["cat", "/data/note"]).output != b"kept\n":
        assert time.monotonic() < deadline
        time.sleep(0.2)

    assert client.delete(f"/instances/{writer['id']}", headers=h).status_code == 200
    assert client.get(f"/volumes/{vol['id']}", headers=h).json()["status"] == "available"
    reader = launch(member, volumes=mounts)
    assert container(engine, reader).exec_run(["cat", "/data/note"]).output == b"kept\n"
    assert client.delete(f"/instances/{reader['id']}", headers=h).status_code == 200
    # an admin may mount the member's volume; it is in use for its owner too
    borrower = launch(admin, volumes=mounts)
    assert client.get(f"/volumes/{vol['id']}", headers=h).json()["attached_to"] == [borrower["id"]]
    assert borrower["name"] in assert_error(client.delete(f"/volumes/{vol['id']}", headers=h), 409, "CONFLICT")["message"]
    assert client.delete(f"/instances/{borrower['id']}", headers=admin.headers).status_code == 200

    stranger = make_account("member").headers
    assert_error(client.get(f"/volumes/{vol['id']}", headers=stranger), 404, "NOT_FOUND")
    assert_error(client.delete(f"/volumes/{vol['id']}", headers=stranger), 404, "NOT_FOUND")
    assert client.get("/volumes", headers=stranger).json() == []
    engine_name = client.get(f"/api/resources/{vol['resource_id']}", headers=h).json()["name"]
    assert client.delete(f"/volumes/{vol['id']}", headers=h).status_code == 200
    assert not engine.volumes.list(filters={"name": engine_name})
    assert_error(client.get(f"/volumes/{vol['id']}", headers=h), 404, "NOT_FOUND")


def test_volume_bad_input_and_scopes(client, member):
    h = member.headers
    for body in ({}, {"name": "v"}, {"name": "v", "size_gb": 0}, {"name": "v", "size_gb": "ten"},
                 {"name": ["v"], "size_gb": 1}):
        assert_error(client.post("/volumes", json=body, headers=h), 400, "BAD_REQUEST")
    viewer = {"X-API-Key": client.post("/auth/keys", json={"name": "ro", "scopes": ["read"]}, headers=h).json()["key"]}
    assert_error(client.post("/volumes", json={"name": "v", "size_gb": 1}, headers=viewer), 403, "FORBIDDEN")
    assert client.get("/volumes", headers=viewer).json() == []
    assert_error(client.get("/volumes/nope", headers=h), 404, "NOT_FOUND")
    assert_error(client.get("/volumes"), 401, "UNAUTHORIZED")


def test_faults_answer_clearly_and_leave_nothing_behind(client, member, make_account, engine):
    h = member.headers
    _, sub = vpc_with_subnet(member)
    before = leftovers(engine)

    body = assert_error(client.post("/instances", json={"name": "x", "image": "localhost/no-such:1"}, headers=h),
                        400, "BAD_REQUEST")
    assert "no-such" in body["message"]
    for bad in ({"image": IMAGE}, {"name": "x"}, {"name": "x", "image": IMAGE, "cpu": "lots"},
                {"name": "x", "image": IMAGE, "volumes": [{"volume_id": "v"}]},
                {"name": "x", "image": IMAGE, "env": {"A": 1}}, {"name": "x", "image": IMAGE, "memory": -1},
                {"name": "x", "image": IMAGE, "service": "no spaces"}, {"name": "x", "image": IMAGE, "service": ""}):
        assert_error(client.post("/instances", json=bad, headers=h), 400, "BAD_REQUEST")
    assert_error(launch_raw(client, h, ports="eighty"), 400, "BAD_REQUEST")
    assert_error(launch_raw(client, h, ports="70000:80"), 400, "BAD_REQUEST")
    assert_error(launch_raw(client, h, memory=10**9), 400, "BAD_REQUEST")  # a PiB: more than the host has
    assert_error(launch_raw(client, h, cpu=1000), 400, "BAD_REQUEST")
    assert_error(launch_raw(client, h, subnet_id="nope"), 404, "NOT_FOUND")
    assert_error(launch_raw(client, h, volumes=[{"volume_id": "nope", "mount_path": "/d"}]), 404, "NOT_FOUND")
    theirs = make(make_account("member"), "/volumes", {"name": "theirs", "size_gb": 1})
    assert_error(launch_raw(client, h, volumes=[{"volume_id": theirs["id"], "mount_path": "/d"}]), 404, "NOT_FOUND")

    # a host port held by someone else: the engine's start fails, the container is removed
    with socket.socket() as held:
        held.bind(("127.0.0.1", free_port()))
        held.listen()
        body = assert_error(launch_raw(client, h, subnet_id=sub["id"], ports=f"{held.getsockname()[1]}:8080"),
                            409, "CONFLICT")
        assert "in use" in body["message"]
    # a port another instance publishes is refused before the engine is asked
    port = free_port()
    launch(member, sub, ports=f"{port}:8080")
    assert_error(launch_raw(client, h, ports=f"{port}:80"), 409, "CONFLICT")
    # a command the engine cannot start: the failed container is removed too
    assert_error(launch_raw(client, h, command=["/no/such/program"]), 502, "UPSTREAM_ERROR")
    assert leftovers(engine) == before + 1
    assert len(client.get("/instances", headers=h).json()) == 1


def launch_raw(client, headers, **fields):
    return client.post("/instances", json={"name": "x", "image": IMAGE, "command": ["sleep", "300"], **fields},
                       headers=headers)


def test_placement_by_vpc_and_its_mistakes(client, member, admin):
    h = member.headers
    vpc, sub = vpc_with_subnet(member)
    other_vpc = make(member, "/vpcs", {"name": "empty"})
    inst = make(member, "/instances", {"name": "by-vpc", "image": IMAGE, "vpc_id": vpc["id"], "command": "sleep 300",
                                       "ports": [f"{free_port()}:8080"]})
    assert inst["subnet_id"] == sub["id"] and inst["command"] == ["sleep", "300"] and len(inst["ports"]) == 1
    body = assert_error(launch_raw(client, h, vpc_id=other_vpc["id"], subnet_id=sub["id"]), 400, "BAD_REQUEST")
    assert "not in VPC" in body["message"]
    assert "no subnet" in assert_error(launch_raw(client, h, vpc_id=other_vpc["id"]), 400, "BAD_REQUEST")["message"]
    # admins may act on anyone's instance by id; lists show each caller's own
    assert client.get(f"/instances/{inst['id']}", headers=admin.headers).status_code == 200
    assert client.get("/instances", headers=admin.headers).json() == []
    r = client.put(f"/instances/{inst['id']}", json={"status": "stopped"}, headers=admin.headers)
    assert r.status_code == 200 and r.json()["status"] == "stopped", r.text
