"""A VPC's automatic range skips the ranges the engine's networks already use (another
cloudfold's, networks left from an earlier install), so its subnets are made on the engine
instead of failing at subnet creation; a VPC's edge network (the one its published ports go
through) gets a range cloudfold chooses from the top of the same pool, never one the engine
picks. Real Podman engine."""

from __future__ import annotations

import ipaddress
import random
import uuid

import docker

from conftest import assert_error
from engine import IMAGE
from localcloud_support import (  # noqa: F401  (fixtures)
    LABELS,
    free_port,
    labelled_local_account,
    launch,
    make,
    vpc_with_subnet,
)
import pytest

from test_localcloud_instances import edge_networks

pytestmark = pytest.mark.database


def free_pool(engine) -> str:
    """A /16 that no network on the engine touches: other test runs share the engine (CI runs
    the SQLite and PostgreSQL suites side by side), and this test needs its first blocks free."""
    used = [ipaddress.IPv4Network(c["Subnet"]) for n in engine.networks.list()
            for c in ((n.attrs.get("IPAM") or {}).get("Config") or []) if ":" not in c.get("Subnet", ":")]
    for octet in random.sample(range(100, 250), 150):
        pool = ipaddress.IPv4Network(f"10.{octet}.0.0/16")
        if not any(pool.overlaps(u) for u in used):
            return str(pool)
    raise AssertionError("no free 10.x.0.0/16 on the engine")


@pytest.fixture
def pool(engine) -> str:
    return free_pool(engine)


@pytest.fixture
def client(make_client, engine_socket, pool):
    return make_client(auto_register_local=True, docker_host=engine_socket, local_vpc_pool=pool)


def foreign_network(engine, cidr: str):
    """A network cloudfold did not make (labelled only so the test's cleanup removes it)."""
    ipam = docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(subnet=cidr)])
    return engine.networks.create(f"left-over-{uuid.uuid4().hex[:6]}", driver="bridge", ipam=ipam, labels=LABELS)


def test_automatic_vpc_ranges_skip_the_engines_networks(client, member, engine, pool):
    pool = ipaddress.IPv4Network(pool)
    first, second, third = list(pool.subnets(new_prefix=24))[:3]
    foreign_network(engine, str(first))
    foreign_network(engine, str(next(second.subnets(new_prefix=26))))  # a part of the second block is enough
    vpc = make(member, "/vpcs", {"name": "auto"})
    assert vpc["cidr_block"] == str(third)
    subnet = make(member, f"/vpcs/{vpc['id']}/subnets", {"name": "a"})
    assert ipaddress.IPv4Network(subnet["cidr_block"]).subnet_of(third)
    # the ranges given up to the engine's networks stay free for those: the next VPC takes the fourth
    assert make(member, "/vpcs", {"name": "next"})["cidr_block"] == str(list(pool.subnets(new_prefix=24))[3])


def edge_range(engine, vpc: dict) -> ipaddress.IPv4Network:
    [edge] = edge_networks(engine, vpc)
    [config] = edge.attrs["IPAM"]["Config"]
    return ipaddress.IPv4Network(config["Subnet"])


def test_edge_networks_get_ranges_cloudfold_chooses_from_the_top_of_the_pool(client, member, engine, pool):
    blocks = list(ipaddress.IPv4Network(pool).subnets(new_prefix=24))
    foreign_network(engine, str(blocks[-1]))  # the engine uses the top block already
    first, first_sub = vpc_with_subnet(member)
    second, second_sub = vpc_with_subnet(member)
    assert (first["cidr_block"], second["cidr_block"]) == (str(blocks[0]), str(blocks[1]))
    launch(member, first_sub, ports=f"{free_port()}:8080")
    launch(member, second_sub, ports=f"{free_port()}:8080")
    launch(member, first_sub, ports=f"{free_port()}:8080")  # the same edge again
    assert (edge_range(engine, first), edge_range(engine, second)) == (blocks[-2], blocks[-3])
    # those ranges are taken now: not for a VPC, automatic or asked for
    refused = assert_error(member.client.post("/vpcs", json={"name": "on-edge", "cidr_block": str(blocks[-2])},
                                              headers=member.headers), 409, "CONFLICT")
    assert "edge network" in refused["message"]
    assert make(member, "/vpcs", {"name": "third"})["cidr_block"] == str(blocks[2])


def test_a_launch_whose_edge_finds_no_free_range_is_a_409_that_leaves_nothing(client, member, engine, pool):
    """A pool of one /24: the VPC takes it whole, so its edge network has nowhere to go."""
    tight = str(next(ipaddress.IPv4Network(pool).subnets(new_prefix=24)))
    client.app.state.runtime.settings.local_vpc_pool = tight
    vpc, subnet = vpc_with_subnet(member)
    assert vpc["cidr_block"] == tight
    body = {"name": "edgeless", "image": IMAGE, "command": ["sleep", "300"], "subnet_id": subnet["id"],
            "ports": [f"{free_port()}:8080"]}
    refused = assert_error(member.client.post("/instances", json=body, headers=member.headers), 409, "CONFLICT")
    assert "no free /24" in refused["message"] and tight in refused["message"]
    assert member.client.get("/instances", headers=member.headers).json() == []
    assert not engine.containers.list(all=True, filters={"name": "edgeless"})
    assert not edge_networks(engine, vpc)
    assert launch(member, subnet)["status"] == "running"  # without ports it needs no edge
