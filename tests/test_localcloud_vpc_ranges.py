"""A VPC's automatic range skips the ranges the engine's networks already use (another
cloudfold's, networks left from an earlier install), so its subnets are made on the engine
instead of failing at subnet creation. Real Podman engine."""

from __future__ import annotations

import ipaddress
import uuid

import docker

from localcloud_support import (  # noqa: F401  (fixtures)
    LABELS,
    POOL,
    client,
    labelled_local_account,
    make,
)
import pytest

pytestmark = pytest.mark.database


def foreign_network(engine, cidr: str):
    """A network cloudfold did not make (labelled only so the test's cleanup removes it)."""
    ipam = docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(subnet=cidr)])
    return engine.networks.create(f"left-over-{uuid.uuid4().hex[:6]}", driver="bridge", ipam=ipam, labels=LABELS)


def test_automatic_vpc_ranges_skip_the_engines_networks(client, member, engine):
    pool = ipaddress.IPv4Network(POOL)
    first, second, third = list(pool.subnets(new_prefix=24))[:3]
    foreign_network(engine, str(first))
    foreign_network(engine, str(next(second.subnets(new_prefix=26))))  # a part of the second block is enough
    vpc = make(member, "/vpcs", {"name": "auto"})
    assert vpc["cidr_block"] == str(third)
    subnet = make(member, f"/vpcs/{vpc['id']}/subnets", {"name": "a"})
    assert ipaddress.IPv4Network(subnet["cidr_block"]).subnet_of(third)
    # the ranges given up to the engine's networks stay free for those: the next VPC takes the fourth
    assert make(member, "/vpcs", {"name": "next"})["cidr_block"] == str(list(pool.subnets(new_prefix=24))[3])
