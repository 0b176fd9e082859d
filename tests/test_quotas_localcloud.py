"""Quotas on seed 003's local cloud, on the real Podman engine: reaching a limit is a 403
naming the quota, its limit and the use, and nothing is made on the engine or in the
database; one member's use is independent of another's; overrides and admin defaults apply;
admins are not limited; host ports come from the allowed range, and a taken one says nothing
about who holds it; VPC ranges are RFC 1918 only; concurrent requests never overshoot."""

from __future__ import annotations

import socket
from concurrent.futures import ThreadPoolExecutor

import docker
import pytest

from conftest import assert_error
from engine import IMAGE
from localcloud_support import (  # noqa: F401  (fixtures)
    LABELS,
    POOL,
    POOL_OCTET,
    allow,
    client,
    free_port,
    labelled_local_account,
    launch,
    make,
    vpc_with_subnet,
)

pytestmark = pytest.mark.database  # also run on PostgreSQL in CI

MINE = [f"{k}={v}" for k, v in LABELS.items()]


def engine_objects(engine) -> tuple[int, int, int]:
    """(containers, volumes, networks) the local cloud made in this test."""
    return (len(engine.containers.list(all=True, filters={"label": MINE})),
            len(engine.volumes.list(filters={"label": MINE})), len(engine.networks.list(filters={"label": MINE})))


def refused(response, quota: str, limit: int, used: float, requested: float) -> dict:
    body = assert_error(response, 403, "FORBIDDEN")
    assert body["detail"] == {"quota": quota, "limit": limit, "used": used, "requested": requested}
    assert quota in body["message"] and str(limit) in body["message"]
    return body


def usage(account) -> dict:
    return {k: v["used"] for k, v in account.client.get("/api/quotas/me", headers=account.headers).json()["quotas"].items()}


def instance_body(subnet: dict | None = None, **fields) -> dict:
    return {"name": "x", "image": IMAGE, "command": ["sleep", "300"],
            **({"subnet_id": subnet["id"]} if subnet else {}), **fields}


def test_vpc_and_subnet_limits(client, member, admin, make_account, engine):
    allow(admin, member, vpcs=1, subnets=1)
    h = member.headers
    vpc, _ = vpc_with_subnet(member)
    before = engine_objects(engine)
    refused(client.post("/vpcs", json={"name": "second"}, headers=h), "vpcs", 1, 1, 1)
    refused(client.post(f"/vpcs/{vpc['id']}/subnets", json={"name": "b"}, headers=h), "subnets", 1, 1, 1)
    assert engine_objects(engine) == before
    assert len(client.get("/vpcs", headers=h).json()) == 1
    assert len(client.get(f"/vpcs/{vpc['id']}/subnets", headers=h).json()) == 1
    assert usage(member) == {**usage(member), "vpcs": 1, "subnets": 1}
    # a second member's use is their own
    other = make_account("member")
    vpc_with_subnet(other)
    assert usage(other)["vpcs"] == 1
    # deleting frees the share
    (sub,) = client.get(f"/vpcs/{vpc['id']}/subnets", headers=h).json()
    assert client.delete(f"/subnets/{sub['id']}", headers=h).status_code == 200
    assert client.delete(f"/vpcs/{vpc['id']}", headers=h).status_code == 200
    make(member, "/vpcs", {"name": "again"})


def test_volume_count_and_size(client, member, admin, engine):
    allow(admin, member, volumes=2, volume_gb=5)
    h = member.headers
    make(member, "/volumes", {"name": "a", "size_gb": 3})
    before = engine_objects(engine)
    refused(client.post("/volumes", json={"name": "b", "size_gb": 3}, headers=h), "volume_gb", 5, 3, 3)
    make(member, "/volumes", {"name": "b", "size_gb": 2})
    refused(client.post("/volumes", json={"name": "c", "size_gb": 1}, headers=h), "volumes", 2, 2, 1)
    assert engine_objects(engine)[1] == before[1] + 1
    assert usage(member) == {**usage(member), "volumes": 2, "volume_gb": 5}
    # an admin default applies to everyone without an override; admins are not limited
    client.put("/api/quotas", json={"volumes": 0}, headers=admin.headers)
    make(admin, "/volumes", {"name": "admins", "size_gb": 500})


def test_instance_count_cpu_memory_and_ports(client, member, admin, make_account, engine):
    allow(admin, member, instances=2, vcpus=1, memory_mb=128, host_ports=1)
    h = member.headers
    _, sub = vpc_with_subnet(member)
    launch(member, sub, cpu=0.5, memory=64, ports=f"{free_port()}:8080")
    before = engine_objects(engine)
    refused(client.post("/instances", json=instance_body(sub, cpu=1, memory=32), headers=h), "vcpus", 1, 0.5, 1)
    refused(client.post("/instances", json=instance_body(sub, cpu=0.5, memory=65), headers=h), "memory_mb", 128, 64, 65)
    refused(client.post("/instances", json=instance_body(sub, cpu=0.5, memory=32, ports=f"{free_port()}:80"), headers=h),
            "host_ports", 1, 1, 1)
    # no CPU or memory limit counts as 1 vCPU and 512 MB
    refused(client.post("/instances", json=instance_body(sub), headers=h), "vcpus", 1, 0.5, 1)
    launch(member, sub, cpu=0.5, memory=64)
    refused(client.post("/instances", json=instance_body(sub, cpu=0.01, memory=6), headers=h), "instances", 2, 2, 1)
    assert engine_objects(engine)[0] == before[0] + 1
    assert len(client.get("/instances", headers=h).json()) == 2
    assert usage(member) == {**usage(member), "instances": 2, "vcpus": 1, "memory_mb": 128, "host_ports": 1}
    # a terminated instance frees its share
    first = client.get("/instances", headers=h).json()[0]
    assert client.delete(f"/instances/{first['id']}", headers=h).status_code == 200
    assert usage(member) == {**usage(member), "instances": 1, "vcpus": 0.5, "memory_mb": 64, "host_ports": 0}
    # the second member starts from nothing
    other = make_account("member")
    assert usage(other)["instances"] == 0
    launch(other, None, cpu=1, memory=512)


def test_members_publish_only_from_the_allowed_range(client, member, admin, engine):
    h = member.headers
    before = engine_objects(engine)
    for ports in ("8081:80", "80", f"{free_port()}:80,19999:81", "30000:80/udp"):
        body = assert_error(client.post("/instances", json=instance_body(ports=ports), headers=h), 403, "FORBIDDEN")
        assert "20000-29999" in body["message"] and body["detail"]["allowed"] == "20000-29999"
    assert engine_objects(engine) == before
    assert client.get("/instances", headers=h).json() == []
    # admins may publish any port
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert port not in range(20000, 30000)
    launch(admin, None, ports=f"{port}:8080")


def test_a_taken_port_says_nothing_about_who_holds_it(client, member, make_account, engine):
    other = make_account("member")
    held_by_instance = free_port()
    theirs = launch(other, None, ports=f"{held_by_instance}:8080", name="secret-shop")
    answers = []
    answers.append(assert_error(client.post("/instances", json=instance_body(ports=f"{held_by_instance}:80"),
                                            headers=member.headers), 409, "CONFLICT"))
    with socket.socket() as held:
        held.bind(("127.0.0.1", free_port()))
        held.listen()
        answers.append(assert_error(client.post("/instances", json=instance_body(ports=f"{held.getsockname()[1]}:80"),
                                                headers=member.headers), 409, "CONFLICT"))
    first, second = answers
    assert first["message"] == second["message"] and first["detail"] == second["detail"]
    for body in answers:
        text = str(body)
        assert "secret-shop" not in text and theirs["id"] not in text and other.email not in text
        assert str(held_by_instance) not in text
    assert client.get("/instances", headers=member.headers).json() == []


@pytest.mark.parametrize("cidr", ["127.0.0.0/24", "169.254.0.0/16", "100.64.0.0/24", "8.8.8.0/24", "0.0.0.0/24",
                                  "224.0.0.0/24", "172.32.0.0/16", "192.0.2.0/24"])
def test_vpc_ranges_are_rfc1918_only(client, member, cidr):
    body = assert_error(client.post("/vpcs", json={"name": "v", "cidr_block": cidr}, headers=member.headers),
                        400, "BAD_REQUEST")
    assert "RFC 1918" in body["message"]
    assert client.get("/vpcs", headers=member.headers).json() == []


def test_rfc1918_ranges_are_accepted(client, member, admin):
    allow(admin, member, vpcs=3)
    for cidr in (f"10.{POOL_OCTET}.201.0/24", "172.31.250.0/28", "192.168.254.0/28"):
        make(member, "/vpcs", {"name": "v", "cidr_block": cidr})


def test_concurrent_requests_never_exceed_a_limit(client, member, admin, make_client, engine_socket, engine):
    """Two apps on one database stand for two replicas; threads race past the limit."""
    replica = make_client(auto_register_local=True, docker_host=engine_socket, local_vpc_pool=POOL)
    clients = [client, replica]
    allow(admin, member, vpcs=3, volumes=2)

    def post(path: str, body: dict):
        return lambda n: clients[n % 2].post(path, json={**body, "name": f"n{n}"}, headers=member.headers)

    with ThreadPoolExecutor(max_workers=8) as pool:
        vpcs = list(pool.map(post("/vpcs", {}), range(8)))
    with ThreadPoolExecutor(max_workers=6) as pool:
        vols = list(pool.map(post("/volumes", {"size_gb": 1}), range(6)))
    assert sorted(r.status_code for r in vpcs) == [201] * 3 + [403] * 5, [r.text for r in vpcs]
    assert sorted(r.status_code for r in vols) == [201] * 2 + [403] * 4, [r.text for r in vols]
    assert all(r.json()["detail"]["quota"] in ("vpcs", "volumes") for r in vpcs + vols if r.status_code == 403)
    assert len(client.get("/vpcs", headers=member.headers).json()) == 3
    assert len(client.get("/volumes", headers=member.headers).json()) == 2
    assert engine_objects(engine)[1] == 2


def test_seed_004_containers_count_as_instances(client, admin, engine):
    """POST /api/containers is admin-only, so its maker is never limited, but what it makes is
    counted with the instances (the one instance core claims both)."""
    from inventory_support import wait_task
    from test_proxicloud_create import _create, _host

    client.put("/api/quotas", json={"instances": 0}, headers=admin.headers)
    made = _create(client, admin, hostname=_host(), cores=1, memory=64)
    assert wait_task(admin, made["task_id"])["status"] == "succeeded"
    assert usage(admin) == {**usage(admin), "instances": 1, "vcpus": 1, "memory_mb": 64}


def test_concurrent_instances_never_exceed_a_limit(client, member, admin, make_client, engine_socket, engine):
    """The claim holds the user's lock across the engine's create, until the record is stored."""
    replica = make_client(auto_register_local=True, docker_host=engine_socket, local_vpc_pool=POOL)
    clients = [client, replica]
    allow(admin, member, instances=2)
    with ThreadPoolExecutor(max_workers=5) as pool:
        answers = list(pool.map(lambda n: clients[n % 2].post("/instances", json=instance_body(cpu=0.1, memory=16),
                                                              headers=member.headers), range(5)))
    assert sorted(r.status_code for r in answers) == [201] * 2 + [403] * 3, [r.text for r in answers]
    assert len(client.get("/instances", headers=member.headers).json()) == 2
    assert engine_objects(engine)[0] == 2
