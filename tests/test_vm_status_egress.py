"""/vms/{id}/status probes the address a record gives; a hand-tracked record is written by its
user, so for a member the address goes through the egress rule first (400, naming the rule),
unless the operator allow-lists it. Admins are trusted."""

from __future__ import annotations

import pytest

from conftest import assert_error

pytestmark = pytest.mark.database  # also run on PostgreSQL in CI

TRICKS = ["127.0.0.1", "2130706433", "0x7f.1", "localhost", "localhost.", "::1", "[::1]", "::ffff:127.0.0.1",
          "169.254.169.254", "fd00:ec2::254", "10.0.0.8", "192.168.1.1", "100.64.0.9", "0.0.0.0"]


def _track(client, account, address, key: str = "ip_address") -> int:
    body = {"name": "box", "resource_type": "vm", "status": "running", "metadata": {key: address}}
    r = client.post("/api/resources", json=body, headers=account.headers)
    assert r.status_code == 201, r.text
    return r.json()["id"]


@pytest.mark.parametrize("address", TRICKS)
def test_member_cannot_make_the_server_probe_forbidden_addresses(client, member, address):
    rid = _track(client, member, address)
    body = assert_error(client.get(f"/vms/{rid}/status", headers=member.headers), 400, "BAD_REQUEST")
    assert "egress rule" in body["message"]


@pytest.mark.parametrize("key", ["public_ip", "private_ip", "ip_address"])
def test_every_address_field_is_checked(client, member, key):
    rid = _track(client, member, "169.254.169.254", key)
    assert_error(client.get(f"/vms/{rid}/status", headers=member.headers), 400, "BAD_REQUEST")


def test_junk_address_is_400(client, member):
    for junk in ("http://127.0.0.1/", "a b", "x@127.0.0.1"):
        rid = _track(client, member, junk)
        assert_error(client.get(f"/vms/{rid}/status", headers=member.headers), 400, "BAD_REQUEST")
    r = client.post("/api/resources", json={"name": "n", "resource_type": "vm", "status": "running",
                                            "metadata": {"ip_address": 5}}, headers=member.headers)
    assert_error(client.get(f"/vms/{r.json()['id']}/status", headers=member.headers), 400, "BAD_REQUEST")


def test_allow_listed_and_admin_probes_run(make_client, make_account):
    client = make_client(egress_allow=["127.0.0.0/8"])
    member, admin = make_account("member", client_=client), make_account("admin", client_=client)
    rid = _track(client, member, "127.0.0.1")
    r = client.get(f"/vms/{rid}/status", headers=member.headers)
    assert r.status_code == 200 and r.json()["ip"] == "127.0.0.1" and r.json()["pingable"] is True, r.text
    assert_error(client.get(f"/vms/{_track(client, member, '169.254.169.254')}/status", headers=member.headers),
                 400, "BAD_REQUEST")
    # probes here only ever go to loopback: the allow-list names 127.0.0.0/8, not ::1
    rid = _track(client, admin, "::1")
    assert client.get(f"/vms/{rid}/status", headers=admin.headers).status_code == 200
    # an admin looking at a member's record is trusted too; another member gets 404
    mine = _track(client, member, "::1")
    assert_error(client.get(f"/vms/{mine}/status", headers=member.headers), 400, "BAD_REQUEST")
    assert client.get(f"/vms/{mine}/status", headers=admin.headers).status_code == 200
    other = make_account("member", client_=client)
    assert_error(client.get(f"/vms/{mine}/status", headers=other.headers), 404, "NOT_FOUND")


def test_stopped_machine_is_not_probed(client, member):
    r = client.post("/api/resources", json={"name": "off", "resource_type": "vm", "status": "stopped",
                                            "metadata": {"ip_address": "127.0.0.1"}}, headers=member.headers)
    out = client.get(f"/vms/{r.json()['id']}/status", headers=member.headers)
    assert out.status_code == 200 and out.json()["pingable"] is False
