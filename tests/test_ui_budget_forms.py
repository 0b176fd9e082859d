"""Budget rules made and deleted on the Costs page over HTTP: the form (name, scope, period,
amount, currency, thresholds as "50:alert,80:alert,100:stop") is checked by the API's `RuleIn`
and made by `budgets.rules.create` (scope, quota, audit: as `POST /api/budget/rules`); bad
input is answered next to its field in the API's words and stores nothing; delete asks first;
another member's rule is not found by id and stays; a viewer sees no form and is refused
anyway; a form without its CSRF token is refused."""

from __future__ import annotations

import re

import pytest
from auth_support import my_audit
from budgets_support import make_rule
from fastapi.testclient import TestClient
from ui_support import signed_in

pytestmark = pytest.mark.database  # quota claims lock the user's row


def api_rules(account) -> list[dict]:
    r = account.client.get("/api/budget/rules", headers=account.headers)
    assert r.status_code == 200, r.text
    return r.json()


def create(client, token: str, **fields):
    data = {"csrf_token": token, "name": "team cap", "scope": "all", "period": "monthly", "amount": "250",
            "currency": "USD", "thresholds": "50:alert, 80:alert, 100:stop", **fields}
    return client.post("/ui/costs/rules", data=data, follow_redirects=False)


def test_create_shows_it_and_delete_asks_first(client, member):
    token = signed_in(client, member)
    page = client.get("/ui/costs").text
    assert 'id="budget-form"' in page and "create one below" in page
    assert '<option value="EUR">EUR</option>' in page and '<option value="daily">daily</option>' in page
    r = create(client, token)
    assert r.status_code == 303 and r.headers["location"] == "/ui/costs#budgets"
    r = create(client, token, name="aws daily", scope="provider", provider="aws", period="daily", amount="9.5",
               currency="EUR", thresholds="")
    assert r.status_code == 303, r.text
    first, second = api_rules(member)
    assert (first["name"], first["scope"], first["period"], first["amount"], first["currency"]) == \
        ("team cap", "all", "monthly", 250.0, "USD")
    assert first["thresholds"] == [{"percent": 50, "action": "alert"}, {"percent": 80, "action": "alert"},
                                   {"percent": 100, "action": "stop"}]
    assert first["dry_run"] is True  # a member's new rule is a dry run, as through the API
    assert (second["scope"], second["provider"], second["period"], second["amount"], second["currency"]) == \
        ("provider", "aws", "daily", 9.5, "EUR")
    assert second["thresholds"] == [{"percent": 100, "action": "alert"}]  # the API's default
    page = client.get("/ui/costs").text
    assert f'data-budget-rule="{first["id"]}"' in page and "aws daily" in page
    assert f'action="/ui/costs/rules/{first["id"]}/delete" class="inline" data-confirm="Delete the budget rule' in page
    r = client.post(f"/ui/costs/rules/{first['id']}/delete", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and [x["id"] for x in api_rules(member)] == [second["id"]]
    assert f'data-budget-rule="{first["id"]}"' not in client.get("/ui/costs").text
    assert client.post(f"/ui/costs/rules/{first['id']}/delete", data={"csrf_token": token}).status_code == 404
    actions = {e["action"] for e in my_audit(client, member.headers)}
    assert {"budget_rule.create", "budget_rule.delete"} <= actions


@pytest.mark.parametrize(("fields", "field", "status", "message"), [
    ({"name": ""}, "name", 400, "at least 1 character"),
    ({"amount": ""}, "amount", 400, "Field required"),
    ({"amount": "lots"}, "amount", 400, "valid decimal"),
    ({"amount": "-5"}, "amount", 400, "amount must not be negative"),
    ({"amount": "0.0000001"}, "amount", 400, "more than 6 decimal places"),
    ({"thresholds": "fifty:alert"}, "thresholds", 400, "valid integer"),
    ({"thresholds": "50:explode"}, "thresholds", 400, "threshold action must be one of"),
    ({"thresholds": "50,50"}, "thresholds", 400, "threshold percents must differ"),
    ({"currency": "XXX"}, "currency", 400, "currency must be one of"),
    ({"period": "yearly"}, "period", 400, "period must be one of"),
    ({"scope": "galaxy"}, "scope", 400, "scope must be one of"),
    ({"scope": "provider"}, "provider", 400, "provider must be one of"),
    ({"scope": "account"}, "account_id", 400, "account_id is required"),
    ({"scope": "account", "account_id": "999999"}, "account_id", 404, "Account not found"),
    ({"scope": "tag"}, "tag_key", 400, "tag_key is required"),
])
def test_bad_input_is_shown_next_to_its_field(client, member, fields, field, status, message):
    token = signed_in(client, member)
    r = create(client, token, **fields)
    assert r.status_code == status, r.text
    error = re.search(rf'<p class="field-error" id="budget-{field}-error" role="alert">([^<]*)</p>', r.text)
    assert error and message in error.group(1), r.text[-3000:]
    assert 'id="budget-form"' in r.text and f'aria-describedby="budget-{field}-error"' in r.text
    assert api_rules(member) == []  # bad input stored nothing


def test_another_member_gets_404(client, member, make_account):
    rule = make_rule(member, name="private cap")
    other = TestClient(client.app, raise_server_exceptions=False)
    other_token = signed_in(other, make_account("member"))
    assert "private cap" not in other.get("/ui/costs").text
    r = other.post(f"/ui/costs/rules/{rule['id']}/delete", data={"csrf_token": other_token})
    assert r.status_code == 404 and "private cap" not in r.text
    assert [x["id"] for x in api_rules(member)] == [rule["id"]]


def test_viewer_sees_no_form_and_is_refused(client, member, make_account):
    rule = make_rule(member)
    viewer = TestClient(client.app, raise_server_exceptions=False)
    viewer_token = signed_in(viewer, make_account("viewer"))
    page = viewer.get("/ui/costs").text
    assert 'id="budget-form"' not in page and 'data-action="delete-budget-rule"' not in page
    assert create(viewer, viewer_token).status_code == 403
    assert viewer.post(f"/ui/costs/rules/{rule['id']}/delete", data={"csrf_token": viewer_token}).status_code == 403
    assert len(api_rules(member)) == 1


def test_missing_csrf_is_refused(client, member):
    rule = make_rule(member)
    signed_in(client, member)
    assert client.post("/ui/costs/rules", data={"name": "x", "amount": "5"}).status_code == 403
    assert create(client, "0" * 64).status_code == 403
    assert client.post(f"/ui/costs/rules/{rule['id']}/delete", data={}).status_code == 403
    assert [x["id"] for x in api_rules(member)] == [rule["id"]]
