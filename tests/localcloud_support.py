"""Fixtures for the seed 003 local-cloud tests: an app whose `local` account was registered
at start (owned by no one, so every user sees it) on the tests' Podman engine, with the
session's TEST_LABELS on every engine object it makes; those are removed after each test."""

from __future__ import annotations

import random
import uuid

import docker
import pytest

from cloudfold.settings import Settings
import slots
from engine import IMAGE, TEST_LABELS

# one label for this module's objects, so a test removes only what the local cloud made
LABELS = {**TEST_LABELS, "cloudfold.test.localcloud": uuid.uuid4().hex[:12]}
# a pool of this session's own: engine networks are host-wide, shared with other sessions
POOL_OCTET = slots.pick(100, 200)
POOL = f"10.{POOL_OCTET}.0.0/16"


@pytest.fixture
def client(make_client, engine_socket):
    c = make_client(auto_register_local=True, docker_host=engine_socket, local_vpc_pool=POOL)
    yield c


@pytest.fixture(autouse=True)
def labelled_local_account(client, admin, engine_socket):
    r = client.put("/api/providers/local", json={"config": {"docker_host": engine_socket, "labels": LABELS}},
                   headers=admin.headers)
    assert r.status_code == 200, r.text
    yield
    remove_labelled(engine_socket, LABELS)


def remove_labelled(engine_socket: str, labels: dict[str, str]) -> None:
    """Remove the containers, volumes and networks on the engine that carry all of ``labels``."""
    engine = docker.DockerClient(base_url=engine_socket, timeout=60)
    mine = [f"{k}={v}" for k, v in labels.items()]
    try:
        for c in engine.containers.list(all=True, filters={"label": mine}):
            c.remove(force=True)
        for v in engine.volumes.list(filters={"label": mine}):
            v.remove(force=True)
        for n in engine.networks.list(filters={"label": mine}):
            n.remove()
    finally:
        engine.close()


def free_port() -> int:
    """A free host port members may publish (inside the default `publish_port_range`)."""
    low, high = (int(p) for p in Settings.model_fields["publish_port_range"].default.split("-"))
    while True:
        port = random.randint(low, high)
        if slots.bindable(port):
            return port


def make(account, path: str, body: dict, status: int = 201) -> dict:
    r = account.client.post(path, json=body, headers=account.headers)
    assert r.status_code == status, r.text
    return r.json()


def vpc_with_subnet(account, cidr: str | None = None) -> tuple[dict, dict]:
    vpc = make(account, "/vpcs", {"name": f"vpc-{uuid.uuid4().hex[:6]}", **({"cidr_block": cidr} if cidr else {})})
    subnet = make(account, f"/vpcs/{vpc['id']}/subnets", {"name": "sub-a"})
    return vpc, subnet


def launch(account, subnet: dict | None = None, command=("sleep", "300"), **fields) -> dict:
    body = {"name": f"i-{uuid.uuid4().hex[:6]}", "image": IMAGE, "command": list(command), **fields}
    if subnet is not None:
        body["subnet_id"] = subnet["id"]
    return make(account, "/instances", body)


def allow(admin, account, **limits: int) -> None:
    """An admin overrides ``account``'s quota limits (e.g. vpcs=8)."""
    user_id = account.client.get("/api/quotas/me", headers=account.headers).json()["user_id"]
    r = admin.client.put(f"/api/users/{user_id}/quotas", json=limits, headers=admin.headers)
    assert r.status_code == 200, r.text
