"""The Costs and budgets page over HTTP: this month, the projection, spending by provider,
service and day (the chart's data), budget rules with their status, enforcement decisions,
with the API's visibility (another member's spending and rules are not there)."""

from __future__ import annotations

import json
import re
from datetime import date

from budgets_support import add_cost, make_rule, user_id
from fastapi.testclient import TestClient
from ui_support import signed_in


def test_this_month_breakdown_and_budgets(client, member):
    today = date.today()
    mine = user_id(member)
    add_cost(client, 12.5, day=today, owner_id=mine, provider="aws", service="EC2")
    add_cost(client, 7.5, day=today.replace(day=1), owner_id=mine, provider="local", service="compute")
    rule = make_rule(member, name="team cap", amount=10)
    signed_in(client, member)
    page = client.get("/ui/costs")
    assert page.status_code == 200, page.text
    text = page.text
    assert 'data-figure="this-month">20.00<' in text
    assert 'id="by-provider"' in text and ">aws<" in text and ">local<" in text
    assert 'id="by-service"' in text and ">EC2<" in text and ">compute<" in text
    chart = json.loads(re.search(r"data-chart='([^']+)'", text).group(1).replace("&#34;", '"'))
    assert sum(chart["series"][0]["values"]) == 20.0 and len(chart["x"]) >= 1
    assert "team cap" in text and "exceeded" in text and "dry run" in text
    assert "vendor/uplot/uPlot.iife.min.js" in text
    assert 'id="budget-form"' in text and 'data-action="delete-budget-rule"' in text  # (tests/test_ui_budget_forms.py)
    assert client.get(f"/api/budget/rules/{rule['id']}", headers=member.headers).status_code == 200


def test_other_members_spending_is_not_shown(client, member, make_account):
    add_cost(client, 99.0, day=date.today(), owner_id=user_id(member), provider="aws", service="S3")
    make_rule(member, name="private rule", amount=10)
    other = TestClient(client.app, raise_server_exceptions=False)
    signed_in(other, make_account("member"))
    text = other.get("/ui/costs").text
    assert 'data-figure="this-month">0.00<' in text and "S3" not in text and "private rule" not in text
    assert "No budget rules yet" in text


def test_bad_period_and_currency_are_refused(client, member):
    signed_in(client, member)
    r = client.get("/ui/costs", params={"start_date": "2026-02-10", "end_date": "2026-02-01"})
    assert r.status_code == 400 and "start_date is after end_date" in r.text
    assert client.get("/ui/costs", params={"start_date": "soon"}).status_code == 400
    r = client.get("/ui/costs", params={"currency": "XYZ"})
    assert r.status_code == 400 and "Unknown currency" in r.text
    assert TestClient(client.app).get("/ui/costs", follow_redirects=False).status_code == 303
