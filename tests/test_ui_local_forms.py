"""The Local cloud page's VPC, subnet and volume forms on the real Podman engine: made with the
form (the API's VpcIn/SubnetIn/VolumeIn and the domain calls the faces make) they show on the
page and through the API, audited as the API's are; bad input is answered next to its field in
the API's words and stores nothing; a VPC with a subnet is not deleted (409); another member's
objects are not found by id (404) and stay; a viewer sees no form and is refused anyway; a form
without its CSRF token is refused."""

from __future__ import annotations

import re

import pytest
from auth_support import my_audit
from fastapi.testclient import TestClient
from localcloud_support import (  # noqa: F401  (fixtures)
    POOL_OCTET,
    client,
    labelled_local_account,
    make,
    vpc_with_subnet,
)
from ui_support import signed_in

pytestmark = pytest.mark.database

CIDR = f"10.{POOL_OCTET}.64.0/20"  # inside this session's pool: engine networks are host-wide


def post(client, path: str, token: str, **fields):
    return client.post(f"/ui/local{path}", data={"csrf_token": token, **fields}, follow_redirects=False)


def listed(account, path: str) -> list[dict]:
    r = account.client.get(path, headers=account.headers)
    assert r.status_code == 200, r.text
    return r.json()


def test_create_and_delete_through_the_forms(client, member):
    token = signed_in(client, member)
    page = client.get("/ui/local").text
    assert 'id="vpc-form"' in page and 'id="volume-form"' in page and "Create a VPC first" in page
    r = post(client, "/vpcs", token, name="net-a", cidr_block=CIDR)
    assert r.status_code == 303 and r.headers["location"] == "/ui/local#networks"
    [vpc] = listed(member, "/vpcs")
    assert (vpc["name"], vpc["cidr_block"]) == ("net-a", CIDR)
    r = post(client, "/subnets", token, vpc_id=vpc["id"], name="sub-a", cidr_block="", availability_zone="zone-9")
    assert r.status_code == 303, r.text
    [subnet] = listed(member, f"/vpcs/{vpc['id']}/subnets")
    assert subnet["name"] == "sub-a" and subnet["availability_zone"] == "zone-9"
    assert subnet["cidr_block"].startswith(f"10.{POOL_OCTET}.64.")  # the next free range inside the VPC
    r = post(client, "/volumes", token, name="data-a", size_gb="2")
    assert r.status_code == 303 and r.headers["location"] == "/ui/local#volumes"
    [volume] = listed(member, "/volumes")
    assert (volume["name"], volume["size_gb"]) == ("data-a", 2)
    page = client.get("/ui/local").text
    for obj in (vpc, subnet, volume):
        assert obj["name"] in page
    for kind, obj in (("vpc", vpc), ("subnet", subnet), ("volume", volume)):
        assert f'data-{kind}="{obj["id"]}"' in page and f'data-action="delete-{kind}"' in page
    assert f'<option value="{vpc["id"]}">net-a' in page  # the subnet form offers the VPC
    assert 'data-confirm="Delete the VPC “net-a”?"' in page
    actions = {e["action"] for e in my_audit(client, member.headers)}
    assert {"vpc.create", "subnet.create", "volume.create"} <= actions

    r = post(client, f"/vpcs/{vpc['id']}/delete", token)  # it still has a subnet: the API's 409
    assert r.status_code == 409 and "delete them first" in r.text
    assert len(listed(member, "/vpcs")) == 1
    for path in (f"/subnets/{subnet['id']}", f"/vpcs/{vpc['id']}", f"/volumes/{volume['id']}"):
        assert post(client, f"{path}/delete", token).status_code == 303
    assert listed(member, "/vpcs") == [] and listed(member, "/volumes") == []
    assert post(client, f"/volumes/{volume['id']}/delete", token).status_code == 404
    actions = {e["action"] for e in my_audit(client, member.headers)}
    assert {"vpc.delete", "subnet.delete", "volume.delete"} <= actions


@pytest.mark.parametrize(("path", "fields", "field", "status", "message"), [
    ("/vpcs", {"name": ""}, "vpc-name", 400, "at least 1 character"),
    ("/vpcs", {"name": "bad name!"}, "vpc-name", 400, "match pattern"),
    ("/vpcs", {"cidr_block": "10.0.0.0/33"}, "vpc-cidr_block", 400, "not an IPv4 CIDR block"),
    ("/vpcs", {"cidr_block": "8.8.8.0/24"}, "vpc-cidr_block", 400, "not a private address range"),
    ("/vpcs", {"cidr_block": "10.1.0.0/8"}, "vpc-cidr_block", 400, "not an IPv4 CIDR block"),
    ("/subnets", {"cidr_block": "192.168.0.0/24"}, "subnet-cidr_block", 400, "is not inside VPC"),
    ("/subnets", {"name": ""}, "subnet-name", 400, "at least 1 character"),
    ("/subnets", {"vpc_id": "no-such-vpc"}, "subnet-vpc_id", 404, "not found"),
    ("/volumes", {"size_gb": "0"}, "volume-size_gb", 400, "greater than or equal to 1"),
    ("/volumes", {"size_gb": "big"}, "volume-size_gb", 400, "valid integer"),
    ("/volumes", {"size_gb": ""}, "volume-size_gb", 400, "valid integer"),
    ("/volumes", {"name": ""}, "volume-name", 400, "at least 1 character"),
])
def test_bad_input_is_shown_next_to_its_field(client, member, path, fields, field, status, message):
    vpc = make(member, "/vpcs", {"name": "net-b", "cidr_block": CIDR})
    token = signed_in(client, member)
    good = {"/vpcs": {"name": "net-c"}, "/subnets": {"name": "sub-b", "vpc_id": vpc["id"]},
            "/volumes": {"name": "data-b", "size_gb": "1"}}[path]
    r = post(client, path, token, **{**good, **fields})
    assert r.status_code == status, r.text
    error = re.search(rf'<p class="field-error" id="{field}-error" role="alert">([^<]*)</p>', r.text)
    assert error and message in error.group(1), r.text[-3000:]
    form = field.split("-")[0]
    assert f'id="{form}-form"' in r.text and f'aria-describedby="{field}-error"' in r.text
    assert [v["id"] for v in listed(member, "/vpcs")] == [vpc["id"]]  # bad input stored nothing
    assert listed(member, f"/vpcs/{vpc['id']}/subnets") == [] and listed(member, "/volumes") == []


def test_overlapping_vpc_is_the_apis_409(client, member):
    make(member, "/vpcs", {"name": "net-d", "cidr_block": CIDR})
    token = signed_in(client, member)
    r = post(client, "/vpcs", token, name="net-e", cidr_block=CIDR)
    assert r.status_code == 409
    assert re.search(r'id="vpc-cidr_block-error" role="alert">cidr_block [^<]* overlaps a range another VPC', r.text)
    assert len(listed(member, "/vpcs")) == 1


def test_another_member_cannot_delete_by_id(client, member, make_account):
    vpc, subnet = vpc_with_subnet(member)
    volume = make(member, "/volumes", {"name": "data-f", "size_gb": 1})
    other = TestClient(client.app, raise_server_exceptions=False)
    token = signed_in(other, make_account("member"))
    page = other.get("/ui/local").text
    assert vpc["id"] not in page and subnet["id"] not in page and volume["id"] not in page
    for path in (f"/subnets/{subnet['id']}", f"/vpcs/{vpc['id']}", f"/volumes/{volume['id']}"):
        r = post(other, f"{path}/delete", token)
        assert r.status_code == 404 and vpc["name"] not in r.text
    r = post(other, "/subnets", token, vpc_id=vpc["id"], name="intruder")  # a subnet in the first member's VPC
    assert r.status_code == 404 and vpc["name"] not in r.text
    assert re.search(r'<p class="form-error" role="alert">VPC [^<]* not found</p>', r.text)
    assert [s["id"] for s in listed(member, f"/vpcs/{vpc['id']}/subnets")] == [subnet["id"]]
    assert len(listed(member, "/vpcs")) == 1 and len(listed(member, "/volumes")) == 1


def test_viewer_sees_no_form_and_is_refused(client, member, make_account):
    vpc, subnet = vpc_with_subnet(member)
    viewer = TestClient(client.app, raise_server_exceptions=False)
    token = signed_in(viewer, make_account("viewer"))
    page = viewer.get("/ui/local")
    assert page.status_code == 200
    assert 'id="vpc-form"' not in page.text and 'id="volume-form"' not in page.text and "data-action=\"delete-" not in page.text
    for path, fields in (("/vpcs", {"name": "v"}), ("/volumes", {"name": "v", "size_gb": "1"}),
                         ("/subnets", {"name": "v", "vpc_id": vpc["id"]}), (f"/vpcs/{vpc['id']}/delete", {})):
        r = post(viewer, path, token, **fields)
        assert r.status_code == 403 and "scope" in r.text
    assert len(listed(member, "/vpcs")) == 1 and listed(member, "/volumes") == []


def test_missing_csrf_is_refused(client, member):
    vpc, _ = vpc_with_subnet(member)
    signed_in(client, member)
    for path, fields in (("/vpcs", {"name": "x"}), ("/volumes", {"name": "x", "size_gb": "1"}),
                         (f"/vpcs/{vpc['id']}/delete", {})):
        assert client.post(f"/ui/local{path}", data=fields).status_code == 403
        assert post(client, path, "0" * 64, **fields).status_code == 403
    assert len(listed(member, "/vpcs")) == 1 and listed(member, "/volumes") == []
