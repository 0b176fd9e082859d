"""Every seed 003 local-cloud route, one table: a read-only key may read but not change
(403), another user's ids and unknown ids are 404, and nothing is changed by a refusal."""

from __future__ import annotations

import pytest

from conftest import assert_error
from engine import IMAGE
from localcloud_support import client, labelled_local_account, launch, make, vpc_with_subnet  # noqa: F401

pytestmark = pytest.mark.database  # also run on PostgreSQL in CI

WRITES = [
    ("post", "/vpcs", {"name": "v"}),
    ("delete", "/vpcs/{vpc}", None),
    ("post", "/vpcs/{vpc}/subnets", {"name": "s"}),
    ("delete", "/subnets/{subnet}", None),
    ("post", "/volumes", {"name": "v", "size_gb": 1}),
    ("delete", "/volumes/{volume}", None),
    ("post", "/instances", {"name": "i", "image": IMAGE}),
    ("put", "/instances/{instance}", {"status": "stopped"}),
    ("delete", "/instances/{instance}", None),
]
BY_ID = [
    ("get", "/vpcs/{vpc}", None),
    ("get", "/vpcs/{vpc}/subnets", None),
    ("get", "/subnets/{subnet}", None),
    ("get", "/volumes/{volume}", None),
    ("get", "/instances/{instance}", None),
    *[w for w in WRITES if "{" in w[1]],
    ("post", "/vpcs/{vpc}/subnets", {"name": "s"}),
]


@pytest.fixture
def world(client, member):
    vpc, subnet = vpc_with_subnet(member)
    volume = make(member, "/volumes", {"name": "vol", "size_gb": 1})
    instance = launch(member, subnet)
    return {"vpc": vpc["id"], "subnet": subnet["id"], "volume": volume["id"], "instance": instance["id"]}


def _call(client, method: str, path: str, body, headers):
    kwargs = {"headers": headers} if body is None else {"headers": headers, "json": body}
    return getattr(client, method)(path, **kwargs)


def _state(client, member) -> list:
    h = member.headers
    return [client.get(p, headers=h).json() for p in ("/vpcs", "/volumes", "/instances")]


def test_read_only_keys_read_but_never_change(client, member, world):
    key = client.post("/auth/keys", json={"name": "ro", "scopes": ["read"]}, headers=member.headers).json()["key"]
    viewer, before = {"X-API-Key": key}, _state(client, member)
    for method, path, body in WRITES:
        assert_error(_call(client, method, path.format(**world), body, viewer), 403, "FORBIDDEN")
    for method, path, _ in BY_ID[:5]:
        assert _call(client, method, path.format(**world), None, viewer).status_code == 200
    assert _state(client, member) == before


def test_other_users_ids_and_unknown_ids_are_not_found(client, member, make_account, world):
    stranger, before = make_account("member").headers, _state(client, member)
    unknown = {k: "00000000-0000-4000-8000-000000000000" for k in world}
    for method, path, body in BY_ID:
        for ids, headers in ((world, stranger), (unknown, member.headers)):
            assert_error(_call(client, method, path.format(**ids), body, headers), 404, "NOT_FOUND")
    assert _state(client, member) == before
    for path in ("/vpcs", "/volumes", "/instances"):
        assert client.get(path, headers=stranger).json() == []
