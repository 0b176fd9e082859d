"""Seed 003 VPCs and subnets on the real Podman engine: CIDR allocation and checks, real
engine networks, ownership, scopes, and the 409s of deleting what is still in use."""

from __future__ import annotations

import ipaddress

from conftest import assert_error
from inventory_support import sync
from localcloud_support import (  # noqa: F401
    LABELS,
    POOL,
    POOL_OCTET,
    allow,
    client,
    labelled_local_account,
    launch,
    make,
    vpc_with_subnet,
)
import pytest

pytestmark = pytest.mark.database  # also run on PostgreSQL in CI


def test_vpc_and_subnet_lifecycle(client, member, engine):
    h = member.headers
    vpc = make(member, "/vpcs", {"name": "prod-vpc"})
    assert ipaddress.ip_network(vpc["cidr_block"]).subnet_of(ipaddress.ip_network(POOL))
    assert vpc["name"] == "prod-vpc" and vpc["status"] == "available"
    other = make(member, "/vpcs", {"name": "second"})
    assert not ipaddress.ip_network(other["cidr_block"]).overlaps(ipaddress.ip_network(vpc["cidr_block"]))

    outer = ipaddress.ip_network(vpc["cidr_block"])
    first = str(list(outer.subnets(new_prefix=26))[1])
    sub = make(member, f"/vpcs/{vpc['id']}/subnets",
               {"name": "private-subnet-1", "cidr_block": first, "availability_zone": "us-east-1a"})
    assert sub == {**sub, "vpc_id": vpc["id"], "cidr_block": first, "availability_zone": "us-east-1a"}
    auto = make(member, f"/vpcs/{vpc['id']}/subnets", {"name": "auto"})
    assert auto["cidr_block"] != first and ipaddress.ip_network(auto["cidr_block"]).subnet_of(outer)

    (net,) = engine.networks.list(filters={"label": f"cloudfold.id={sub['id']}"})
    assert net.attrs["IPAM"]["Config"][0]["Subnet"] == first
    assert {s["id"] for s in client.get(f"/vpcs/{vpc['id']}/subnets", headers=h).json()} == {sub["id"], auto["id"]}
    assert client.get(f"/subnets/{sub['id']}", headers=h).json() == sub
    assert [v["id"] for v in client.get("/vpcs", headers=h).json()] == [vpc["id"], other["id"]]

    assert_error(client.delete(f"/vpcs/{vpc['id']}", headers=h), 409, "CONFLICT")
    for s in (sub, auto):
        assert client.delete(f"/subnets/{s['id']}", headers=h).status_code == 200
    assert not engine.networks.list(names=[net.name])
    assert client.delete(f"/vpcs/{vpc['id']}", headers=h).status_code == 200
    assert_error(client.get(f"/vpcs/{vpc['id']}", headers=h), 404, "NOT_FOUND")
    assert_error(client.get(f"/subnets/{sub['id']}", headers=h), 404, "NOT_FOUND")
    audit = client.get("/monitor/audit", params={"action": "subnet.create"}, headers=h).json()
    assert audit["total"] == 2


def test_cidr_rules(client, member):
    h = member.headers
    vpc = make(member, "/vpcs", {"name": "v", "cidr_block": f"10.{POOL_OCTET}.200.0/24"})
    path = f"/vpcs/{vpc['id']}/subnets"
    body = assert_error(client.post(path, json={"name": "s", "cidr_block": "10.1.0.0/24"}, headers=h), 400, "BAD_REQUEST")
    assert "not inside" in body["message"]
    assert_error(client.post(path, json={"name": "s", "cidr_block": "nonsense"}, headers=h), 400, "BAD_REQUEST")
    assert_error(client.post(path, json={"name": "s", "cidr_block": f"10.{POOL_OCTET}.200.1/25"}, headers=h),
                 400, "BAD_REQUEST")  # host bits set
    make(member, path, {"name": "s1", "cidr_block": f"10.{POOL_OCTET}.200.0/25"})
    body = assert_error(client.post(path, json={"name": "s2", "cidr_block": f"10.{POOL_OCTET}.200.64/26"}, headers=h),
                        400, "BAD_REQUEST")
    assert "overlaps subnet 's1'" in body["message"]
    # VPCs never overlap, and their ranges are private
    assert_error(client.post("/vpcs", json={"name": "x", "cidr_block": f"10.{POOL_OCTET}.200.0/25"}, headers=h),
                 409, "CONFLICT")
    assert_error(client.post("/vpcs", json={"name": "x", "cidr_block": "8.8.8.0/24"}, headers=h), 400, "BAD_REQUEST")
    assert_error(client.post("/vpcs", json={"name": "x", "cidr_block": "10.0.0.0/8"}, headers=h), 400, "BAD_REQUEST")


def test_bad_input_scopes_and_ownership(client, member, make_account, admin):
    h = member.headers
    assert_error(client.post("/vpcs", json={}, headers=h), 400, "BAD_REQUEST")
    assert_error(client.post("/vpcs", json={"name": 5}, headers=h), 400, "BAD_REQUEST")
    assert_error(client.post("/vpcs", json={"name": "bad name!"}, headers=h), 400, "BAD_REQUEST")
    assert_error(client.post("/vpcs", json={"name": "v", "extra": 1}, headers=h), 400, "BAD_REQUEST")
    assert_error(client.get("/vpcs"), 401, "UNAUTHORIZED")
    vpc, sub = vpc_with_subnet(member)
    assert_error(client.post(f"/vpcs/{vpc['id']}/subnets", json={"name": []}, headers=h), 400, "BAD_REQUEST")
    for path in ("/vpcs/nope", "/subnets/nope", "/vpcs/nope/subnets"):
        assert_error(client.get(path, headers=h), 404, "NOT_FOUND")
    assert_error(client.delete("/subnets/nope", headers=h), 404, "NOT_FOUND")

    viewer = client.post("/auth/keys", json={"name": "ro", "scopes": ["read"]}, headers=h).json()["key"]
    ro = {"X-API-Key": viewer}
    assert client.get("/vpcs", headers=ro).status_code == 200
    assert_error(client.post("/vpcs", json={"name": "v"}, headers=ro), 403, "FORBIDDEN")
    assert_error(client.delete(f"/subnets/{sub['id']}", headers=ro), 403, "FORBIDDEN")

    stranger = make_account("member")
    assert client.get("/vpcs", headers=stranger.headers).json() == []
    assert_error(client.get(f"/vpcs/{vpc['id']}", headers=stranger.headers), 404, "NOT_FOUND")
    assert_error(client.get(f"/subnets/{sub['id']}", headers=stranger.headers), 404, "NOT_FOUND")
    assert_error(client.delete(f"/vpcs/{vpc['id']}", headers=stranger.headers), 404, "NOT_FOUND")
    assert_error(client.post(f"/vpcs/{vpc['id']}/subnets", json={"name": "x"}, headers=stranger.headers),
                 404, "NOT_FOUND")
    # the stranger's inventory does not show them either; an admin may look at one by id
    assert_error(client.get(f"/api/resources/{sub['resource_id']}", headers=stranger.headers), 404, "NOT_FOUND")
    assert client.get(f"/subnets/{sub['id']}", headers=admin.headers).status_code == 200


def test_subnet_with_an_instance_cannot_go_and_no_engine_means_503(client, member, admin, engine_socket):
    vpc, sub = vpc_with_subnet(member)
    inst = launch(member, sub)
    assert_error(client.delete(f"/subnets/{sub['id']}", headers=member.headers), 409, "CONFLICT")
    assert_error(client.delete(f"/vpcs/{vpc['id']}", headers=member.headers), 409, "CONFLICT")
    assert client.delete(f"/instances/{inst['id']}", headers=member.headers).status_code == 200
    assert client.delete(f"/subnets/{sub['id']}", headers=member.headers).status_code == 200

    client.put("/api/providers/local", json={"config": {"docker_host": "unix:///nonexistent.sock"}}, headers=admin.headers)
    body = assert_error(client.post(f"/vpcs/{vpc['id']}/subnets", json={"name": "s"}, headers=member.headers),
                        503, "SERVICE_UNAVAILABLE")
    assert "unreachable" in body["message"]
    client.put("/api/providers/local", json={"is_active": False}, headers=admin.headers)
    body = assert_error(client.post("/vpcs", json={"name": "v"}, headers=member.headers), 409, "CONFLICT")
    assert "No local container engine" in body["message"]


def test_a_sync_keeps_local_cloud_records_whole(client, member, admin):
    vpc, sub = vpc_with_subnet(member)
    inst = launch(member, sub)
    vol = make(member, "/volumes", {"name": "v", "size_gb": 1})
    sync(admin, "local")
    h = member.headers
    assert client.get(f"/vpcs/{vpc['id']}", headers=h).json()["status"] == "available"
    assert client.get(f"/subnets/{sub['id']}", headers=h).json() == sub
    assert client.get(f"/instances/{inst['id']}", headers=h).json()["status"] == "running"
    assert client.get(f"/volumes/{vol['id']}", headers=h).json()["size_gb"] == 1
    # one record per engine object: the sync found the ones the local cloud made
    for obj, kind in ((sub, "subnet"), (inst, "container"), (vol, "volume")):
        rows = client.get("/api/resources", params={"provider_id": "local", "resource_type": kind, "limit": 1000},
                          headers=admin.headers).json()
        assert [r["id"] for r in rows if r["id"] == obj["resource_id"]] == [obj["resource_id"]]
        assert len([r for r in rows if obj["id"][:8] in r["name"]]) == 1


def test_concurrent_vpcs_get_distinct_ranges(client, member, admin, make_client, engine_socket):
    """Two apps on one database stand for two replicas: nothing but the database is shared."""
    from concurrent.futures import ThreadPoolExecutor

    allow(admin, member, vpcs=8)
    replica = make_client(auto_register_local=True, docker_host=engine_socket, local_vpc_pool=POOL)
    clients = [client, replica]

    def create(n: int):
        return clients[n % 2].post("/vpcs", json={"name": f"v{n}"}, headers=member.headers)

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(create, range(8)))
    assert [r.status_code for r in answers] == [201] * 8
    cidrs = [ipaddress.ip_network(r.json()["cidr_block"]) for r in answers]
    assert not any(a.overlaps(b) for i, a in enumerate(cidrs) for b in cidrs[i + 1:])
    vpc = answers[0].json()["id"]
    with ThreadPoolExecutor(max_workers=4) as pool:
        subnets = list(pool.map(lambda n: clients[n % 2].post(f"/vpcs/{vpc}/subnets", json={"name": f"s{n}"},
                                                              headers=member.headers), range(4)))
    assert [r.status_code for r in subnets] == [201] * 4, [r.text for r in subnets]
    nets = [ipaddress.ip_network(r.json()["cidr_block"]) for r in subnets]
    assert not any(a.overlaps(b) for i, a in enumerate(nets) for b in nets[i + 1:])


def test_a_subnet_network_removed_behind_our_back_gives_409(client, member, engine):
    _, sub = vpc_with_subnet(member)
    (net,) = engine.networks.list(filters={"label": f"cloudfold.id={sub['id']}"})
    net.remove()
    for ports in (None, "28999:8080"):
        body = assert_error(client.post("/instances", json={"name": "x", "image": "localhost/cloudfold-busybox:test",
                                                            "subnet_id": sub["id"], "ports": ports},
                                        headers=member.headers), 409, "CONFLICT")
        assert "no longer has" in body["message"]
    assert client.get("/instances", headers=member.headers).json() == []
    mine = [f"{k}={v}" for k, v in LABELS.items()]  # other sessions' instances may share the engine
    assert not engine.containers.list(all=True, filters={"label": ["cloudfold.kind=instance", *mine]})
