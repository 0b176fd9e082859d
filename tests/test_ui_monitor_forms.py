"""Monitors made and deleted on the Monitoring page over HTTP: the form (type from the domain's
kinds, target, name, interval) is checked by the API's `MonitorIn` and made by the domain's
`service.create` (the egress rule refuses a member's loopback target with the API's message,
next to the target field); bad input stores nothing; delete asks first and is the API's
`service.remove`; another member's monitor is not found by id and stays; a viewer sees no form
and is refused anyway; a form without its CSRF token is refused."""

from __future__ import annotations

import re

import pytest
from auth_support import my_audit
from fastapi.testclient import TestClient
from ui_support import signed_in

pytestmark = pytest.mark.database  # quota claims lock the user's row

PUBLIC = "https://1.1.1.1/health"  # a global address (no DNS here), saved, never probed: the engine is off


@pytest.fixture
def client(make_client):
    return make_client(monitor_engine=False)


def api_monitors(account) -> list[dict]:
    r = account.client.get("/api/monitors", headers=account.headers)
    assert r.status_code == 200, r.text
    return r.json()["monitors"]


def create(client, token: str, **fields):
    data = {"csrf_token": token, "kind": "http", "target": PUBLIC, "name": "shop", "interval_seconds": "120", **fields}
    return client.post("/ui/monitoring/monitors", data=data, follow_redirects=False)


def with_monitor(client, member) -> tuple[str, dict]:
    token = signed_in(client, member)
    assert create(client, token).status_code == 303
    [monitor] = api_monitors(member)
    return token, monitor


def test_create_shows_it_and_delete_asks_first(client, member):
    token = signed_in(client, member)
    page = client.get("/ui/monitoring").text
    assert 'id="monitor-form"' in page and "add one below" in page
    assert all(f'<option value="{k}">{k}</option>' in page for k in ("http", "tcp", "ping", "ssh", "dns"))
    r = create(client, token)
    assert r.status_code == 303 and r.headers["location"] == "/ui/monitoring#monitors"
    r = create(client, token, kind="tcp", target="1.1.1.1:443", name="", interval_seconds="")
    assert r.status_code == 303, r.text
    first, second = sorted(api_monitors(member), key=lambda m: m["id"])
    assert (first["kind"], first["target"], first["name"], first["interval_seconds"]) == ("http", PUBLIC, "shop", 120)
    assert (second["kind"], second["name"], second["interval_seconds"]) == ("tcp", "1.1.1.1:443", 60)  # defaults
    page = client.get("/ui/monitoring").text
    assert f'data-monitor="{first["id"]}"' in page and f'data-monitor="{second["id"]}"' in page
    assert f'action="/ui/monitoring/monitors/{first["id"]}/delete" class="inline" data-confirm="Delete the monitor' in page
    r = client.post(f"/ui/monitoring/monitors/{first['id']}/delete", data={"csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 303 and [m["id"] for m in api_monitors(member)] == [second["id"]]
    assert f'data-monitor="{first["id"]}"' not in client.get("/ui/monitoring").text
    assert client.post(f"/ui/monitoring/monitors/{first['id']}/delete", data={"csrf_token": token}).status_code == 404
    actions = {e["action"] for e in my_audit(client, member.headers)}
    assert {"monitor.create", "monitor.delete"} <= actions


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"target": "http://127.0.0.1:8080/"}, "target", "egress rule"),  # a member's loopback target
    ({"target": ""}, "target", "target must be a non-empty string"),
    ({"target": "ftp://example.com/"}, "target", "only http://"),
    ({"kind": "tcp", "target": "example.com"}, "target", "needs host:port"),
    ({"kind": "icmp"}, "kind", "kind must be one of"),
    ({"interval_seconds": "5"}, "interval_seconds", "interval_seconds must be an integer from"),
    ({"interval_seconds": "often"}, "interval_seconds", "valid integer"),
    ({"name": "x" * 201}, "name", "at most 200"),
])
def test_bad_input_is_shown_next_to_its_field(client, member, fields, field, message):
    token = signed_in(client, member)
    r = create(client, token, **fields)
    assert r.status_code == 400, r.text
    error = re.search(rf'<p class="field-error" id="monitor-{field}-error" role="alert">([^<]*)</p>', r.text)
    assert error and message in error.group(1), r.text[-3000:]
    assert 'id="monitor-form"' in r.text and f'aria-describedby="monitor-{field}-error"' in r.text
    assert api_monitors(member) == []  # bad input stored nothing


def test_another_member_gets_404(client, member, make_account):
    _, monitor = with_monitor(client, member)
    other = TestClient(client.app, raise_server_exceptions=False)
    other_token = signed_in(other, make_account("member"))
    assert f'data-monitor="{monitor["id"]}"' not in other.get("/ui/monitoring").text
    r = other.post(f"/ui/monitoring/monitors/{monitor['id']}/delete", data={"csrf_token": other_token})
    assert r.status_code == 404 and "shop" not in r.text
    assert [m["id"] for m in api_monitors(member)] == [monitor["id"]]


def test_viewer_sees_no_form_and_is_refused(client, member, make_account):
    _, monitor = with_monitor(client, member)
    viewer = TestClient(client.app, raise_server_exceptions=False)
    viewer_token = signed_in(viewer, make_account("viewer"))
    page = viewer.get("/ui/monitoring").text
    assert 'id="monitor-form"' not in page and 'data-action="delete-monitor"' not in page
    assert create(viewer, viewer_token).status_code == 403
    r = viewer.post(f"/ui/monitoring/monitors/{monitor['id']}/delete", data={"csrf_token": viewer_token})
    assert r.status_code == 403
    assert len(api_monitors(member)) == 1


def test_missing_csrf_is_refused(client, member):
    _, monitor = with_monitor(client, member)
    r = client.post("/ui/monitoring/monitors", data={"kind": "http", "target": PUBLIC})
    assert r.status_code == 403
    assert create(client, "0" * 64).status_code == 403
    assert client.post(f"/ui/monitoring/monitors/{monitor['id']}/delete", data={}).status_code == 403
    assert [m["id"] for m in api_monitors(member)] == [monitor["id"]]
