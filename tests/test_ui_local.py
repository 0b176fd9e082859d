"""The Local cloud page on the real Podman engine: the user's VPCs, subnets, instances and
volumes as the API lists them, and an instance launched from a template with the form (the
API's InstanceIn and instances.create), its errors next to their field; a viewer has no form
and is refused anyway, another member sees none of it."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from localcloud_support import (  # noqa: F401  (fixtures)
    LABELS,
    client,
    labelled_local_account,
    make,
    vpc_with_subnet,
)
from ui_support import signed_in

pytestmark = pytest.mark.database


def template_of(account) -> str:
    """The catalog's busybox template (the engine fixture builds its image)."""
    r = account.client.get("/api/templates", headers=account.headers)
    assert r.status_code == 200, r.text
    found = [t["id"] for t in r.json()["templates"] if t["available"] and t["id"].startswith("busybox")]
    assert found, r.json()
    return found[0]


def launch_form(client, token: str, **fields):
    data = {"csrf_token": token, "name": f"ui-{uuid.uuid4().hex[:6]}", "command": "sleep 300", **fields}
    return client.post("/ui/local/instances", data=data, follow_redirects=False)


def test_lists_and_launch_from_a_template(client, member):
    vpc, subnet = vpc_with_subnet(member)
    make(member, "/volumes", {"name": "data-1", "size_gb": 1})
    template = template_of(member)
    token = signed_in(client, member)
    page = client.get("/ui/local").text
    assert vpc["name"] in page and subnet["cidr_block"] in page and "data-1" in page and "No instances yet" in page
    assert 'id="launch"' in page and 'hx-get="/ui/local/templates' in page  # choices load after the page
    assert f'value="{template}"' in client.get("/ui/local/templates").text
    r = launch_form(client, token, template=template, name="web-ui", subnet_id=subnet["id"])
    assert r.status_code == 303, r.text
    rid = int(r.headers["location"].rsplit("/", 1)[1])
    [made] = client.get("/instances", headers=member.headers).json()
    assert made["name"] == "web-ui" and made["subnet_id"] == subnet["id"] and made["resource_id"] == rid
    assert made["command"] == ["sleep", "300"] and made["status"] == "running"
    page = client.get("/ui/local").text
    assert f'data-instance="{made["id"]}"' in page and made["private_ip"] in page
    machine = client.get(f"/ui/machines/{rid}").text
    assert 'id="machine-state">running<' in machine


def test_launch_errors_next_to_their_field(client, member):
    template = template_of(member)
    token = signed_in(client, member)
    r = launch_form(client, token, template="")
    assert r.status_code == 400 and 'id="template-error"' in r.text
    r = launch_form(client, token, template="no-such-template")
    assert r.status_code == 404 and 'id="template-error"' in r.text
    r = launch_form(client, token, template=template, name="bad name!")
    assert r.status_code == 400 and 'id="name-error"' in r.text
    r = launch_form(client, token, template=template, memory="lots")
    assert r.status_code == 400 and 'id="memory-error"' in r.text
    r = launch_form(client, token, template=template, ports="99999:80")
    assert r.status_code == 400 and 'id="ports-error"' in r.text
    r = launch_form(client, token, template=template, subnet_id=str(uuid.uuid4()))
    assert r.status_code == 404 and 'id="subnet_id-error"' in r.text
    assert client.get("/instances", headers=member.headers).json() == []  # nothing was made
    assert launch_form(client, "0" * 64, template=template).status_code == 403


def test_viewer_and_another_member(client, member, make_account):
    vpc, _ = vpc_with_subnet(member)
    other = TestClient(client.app, raise_server_exceptions=False)
    signed_in(other, make_account("member"))
    assert vpc["name"] not in other.get("/ui/local").text
    viewer = TestClient(client.app, raise_server_exceptions=False)
    token = signed_in(viewer, make_account("viewer"))
    page = viewer.get("/ui/local")
    assert page.status_code == 200 and 'id="launch"' not in page.text
    assert viewer.get("/ui/local/templates").status_code == 403
    r = launch_form(viewer, token, template=template_of(member))
    assert r.status_code == 403 and "scope" in r.text
