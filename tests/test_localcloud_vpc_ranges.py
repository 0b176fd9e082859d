"""A VPC's automatic range skips the ranges the engine's networks already use (another
cloudfold's, networks left from an earlier install), so its subnets are made on the engine
instead of failing at subnet creation. Real Podman engine."""

from __future__ import annotations

import ipaddress
import random
import uuid

import docker

from localcloud_support import (  # noqa: F401  (fixtures)
    LABELS,
    labelled_local_account,
    make,
)
import pytest

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
