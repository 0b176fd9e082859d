"""Alert rules on the Monitoring page over HTTP: the caller's rules listed, made with the form
(name, a kind the domain lists, a machine chosen or typed as an id, open_after) and deleted,
through the API's use cases (`domain/alerts/rules`); bad input answered next to the field in the
API's words and changing nothing; another member's rule is not found; a viewer sees no form and
is refused anyway; a form without its CSRF token is refused."""

from __future__ import annotations

import re

import pytest
from alerts_support import QUICK, machine
from fastapi.testclient import TestClient
from ui_support import signed_in


@pytest.fixture
def client(make_client):
    return make_client(**QUICK)


def api_rules(account) -> list[dict]:
    r = account.client.get("/api/alert-rules", headers=account.headers)
    assert r.status_code == 200, r.text
    return r.json()


def create(client, token: str, **fields):
    data = {"csrf_token": token, "name": "down", "kind": "not_running", "open_after": "1", **fields}
    return client.post("/ui/monitoring/rules", data=data, follow_redirects=False)


def with_rule(client, member, name: str = "web-1") -> tuple[dict, str, dict]:
    """A machine of ``member``'s, signed in on ``client``, with a rule made for it by the form."""
    box = machine(member, name)
    token = signed_in(client, member)
    assert create(client, token, resource_id=str(box["id"])).status_code == 303
    [rule] = api_rules(member)
    return box, token, rule


def test_create_from_a_chosen_or_typed_machine(client, member):
    box, other_box = machine(member, "watched"), machine(member, "typed")
    token = signed_in(client, member)
    page = client.get("/ui/monitoring").text
    assert 'id="rule-form"' in page and 'id="no-rules"' in page
    assert f'<option value="{box["id"]}">watched' in page  # the machines the caller may see
    assert '<option value="not_running">' in page and '<option value="cert_expiring">' in page  # the domain's kinds
    r = create(client, token, resource_id=str(box["id"]))
    assert r.status_code == 303 and r.headers["location"] == "/ui/monitoring#rules"
    r = create(client, token, name="typed one", resource_id=str(box["id"]), resource_typed=f" {other_box['id']} ",
               open_after="")
    assert r.status_code == 303
    first, second = api_rules(member)
    assert (first["name"], first["kind"], first["resource_id"], first["open_after"]) == \
        ("down", "not_running", box["id"], 1)
    assert (second["resource_id"], second["open_after"]) == (other_box["id"], 3)  # the typed id wins; the default
    page = client.get("/ui/monitoring").text
    assert f'data-rule="{first["id"]}"' in page and f'data-watches="{other_box["id"]}"' in page
    r = create(client, token, name="everything", resource_id="")
    assert r.status_code == 303 and api_rules(member)[-1]["resource_id"] is None


@pytest.mark.parametrize(("fields", "field", "status", "message"), [
    ({"name": ""}, "name", 400, "at least 1 character"),
    ({"kind": "nonsense"}, "kind", 400, "kind must be one of"),
    ({"open_after": "0"}, "open_after", 400, "greater than or equal to 1"),
    ({"open_after": "many"}, "open_after", 400, "valid integer"),
    ({"resource_typed": "abc"}, "resource_id", 400, "valid integer"),
    ({"resource_typed": "999999"}, "resource_id", 404, "Resource not found"),
    ({"kind": "sync_failing", "resource_typed": "{box}"}, "resource_id", 400, "sync_failing rule watches"),
])
def test_bad_input_is_shown_next_to_its_field(client, member, fields, field, status, message):
    box = machine(member)
    token = signed_in(client, member)
    fields = {k: v.format(box=box["id"]) for k, v in fields.items()}
    r = create(client, token, **fields)
    assert r.status_code == status, r.text
    error = re.search(rf'<p class="field-error" id="{field}-error" role="alert">([^<]*)</p>', r.text)
    assert error and message in error.group(1), r.text[-3000:]
    assert 'id="rule-form"' in r.text  # the form again, with what was typed
    assert api_rules(member) == []  # bad input changed nothing


def test_delete(client, member):
    _, token, rule = with_rule(client, member)
    page = client.get("/ui/monitoring").text
    assert f'action="/ui/monitoring/rules/{rule["id"]}/delete" class="inline" data-confirm=' in page
    r = client.post(f"/ui/monitoring/rules/{rule['id']}/delete", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and api_rules(member) == []
    assert f'data-rule="{rule["id"]}"' not in client.get("/ui/monitoring").text
    assert client.post(f"/ui/monitoring/rules/{rule['id']}/delete", data={"csrf_token": token}).status_code == 404


def test_another_member_gets_404(client, member, make_account):
    box, _, rule = with_rule(client, member, "mine")
    other = TestClient(client.app, raise_server_exceptions=False)
    other_token = signed_in(other, make_account("member"))
    page = other.get("/ui/monitoring").text
    assert f'data-rule="{rule["id"]}"' not in page and f'<option value="{box["id"]}">' not in page
    r = other.post(f"/ui/monitoring/rules/{rule['id']}/delete", data={"csrf_token": other_token})
    assert r.status_code == 404 and "mine" not in r.text
    r = create(other, other_token, resource_typed=str(box["id"]))  # watching the first member's machine
    assert r.status_code == 404 and "Resource not found" in r.text
    assert [x["id"] for x in api_rules(member)] == [rule["id"]]


def test_viewer_sees_no_form_and_is_refused(client, member, make_account):
    _, _, rule = with_rule(client, member)
    viewer = TestClient(client.app, raise_server_exceptions=False)
    viewer_token = signed_in(viewer, make_account("viewer"))
    page = viewer.get("/ui/monitoring").text
    assert 'id="rule-form"' not in page and 'data-action="delete-rule"' not in page
    assert create(viewer, viewer_token).status_code == 403
    r = viewer.post(f"/ui/monitoring/rules/{rule['id']}/delete", data={"csrf_token": viewer_token})
    assert r.status_code == 403
    assert len(api_rules(member)) == 1


def test_missing_csrf_is_refused(client, member):
    _, _, rule = with_rule(client, member)
    r = client.post("/ui/monitoring/rules", data={"name": "x", "kind": "not_running"})
    assert r.status_code == 403
    assert create(client, "0" * 64).status_code == 403
    assert client.post(f"/ui/monitoring/rules/{rule['id']}/delete", data={}).status_code == 403
    assert [x["id"] for x in api_rules(member)] == [rule["id"]]
