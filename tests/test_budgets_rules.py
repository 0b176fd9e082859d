"""Seed 001 budget rules (CRUD), their status against cost records, bad input, and isolation
between members."""

from __future__ import annotations

import calendar
from datetime import timedelta

from budgets_support import account_id, add_cost, make_rule, status_of, user_id
from conftest import assert_error
from helpers_api import audit_page
from inventory_support import register

from cloudfold.db.base import utcnow


def test_rule_crud_is_owned_and_audited(client, member):
    rule = make_rule(member, name="team", amount=250.5, thresholds=[{"percent": 100, "action": "stop"},
                                                                    {"percent": 50, "action": "alert"}])
    assert rule["dry_run"] is True  # a new rule only reports until an admin turns it off
    assert rule["amount"] == 250.5 and rule["amount_micros"] == 250_500_000 and rule["currency"] == "USD"
    assert [t["percent"] for t in rule["thresholds"]] == [50, 100] and rule["scope"] == "all"
    h = member.headers
    assert client.get(f"/api/budget/rules/{rule['id']}", headers=h).json()["name"] == "team"
    assert [r["id"] for r in client.get("/api/budget/rules", headers=h).json()] == [rule["id"]]

    r = client.put(f"/api/budget/rules/{rule['id']}", json={"amount": 300, "period": "daily"}, headers=h)
    assert r.status_code == 200 and r.json()["amount"] == 300 and r.json()["period"] == "daily", r.text
    assert r.json()["name"] == "team"  # fields not given stay
    assert_error(client.put(f"/api/budget/rules/{rule['id']}", json={"dry_run": False}, headers=h), 400,
                 "BAD_REQUEST")  # only an admin turns enforcement on

    assert client.delete(f"/api/budget/rules/{rule['id']}", headers=h).status_code == 204
    assert_error(client.get(f"/api/budget/rules/{rule['id']}", headers=h), 404, "NOT_FOUND")
    actions = [e["action"] for e in audit_page(client, h, limit=50)["events"]]
    assert {"budget_rule.create", "budget_rule.update", "budget_rule.delete"} <= set(actions)


def test_bad_rules_are_refused_and_change_nothing(client, member):
    h = member.headers
    rule = make_rule(member)
    cases = [
        ({"name": "x"}, 422),  # no amount
        ({"amount": 10}, 422),  # no name
        ({"name": "x", "amount": -5}, 400),
        ({"name": "x", "amount": "lots"}, 422),
        ({"name": "x", "amount": 10, "currency": "XXX"}, 400),
        ({"name": "x", "amount": 10, "period": "weekly"}, 400),
        ({"name": "x", "amount": 10, "start_day": 31}, 400),
        ({"name": "x", "amount": 10, "thresholds": [{"percent": 0, "action": "stop"}]}, 400),
        ({"name": "x", "amount": 10, "thresholds": [{"percent": 80, "action": "explode"}]}, 400),
        ({"name": "x", "amount": 10, "thresholds": [{"percent": 80}, {"percent": 80}]}, 400),
        ({"name": "x", "amount": 10, "scope": "galaxy"}, 400),
        ({"name": "x", "amount": 10, "scope": "provider", "provider": "nowhere"}, 400),
        ({"name": "x", "amount": 10, "scope": "account"}, 400),
        ({"name": "x", "amount": 10, "scope": "account", "account_id": 999999}, 404),
        ({"name": "x", "amount": 10, "scope": "tag"}, 400),
        ({"name": "x", "amount": 10, "grace_seconds": -1}, 400),
        ({"name": "x", "amount": 10, "max_stops": "many"}, 422),
        ({"name": "x", "amount": 10, "colour": "red"}, 422),
    ]
    for body, status in cases:
        r = client.post("/api/budget/rules", json=body, headers=h)
        assert r.status_code == status, (body, r.text)
        assert r.json()["success"] is False and "Traceback" not in r.text
    assert_error(client.put(f"/api/budget/rules/{rule['id']}", json={"amount": -1, "name": "changed"}, headers=h),
                 400, "BAD_REQUEST")
    assert_error(client.get("/api/budget/rules/999999", headers=h), 404, "NOT_FOUND")
    assert_error(client.put("/api/budget/rules/999999", json={"amount": 1}, headers=h), 404, "NOT_FOUND")
    assert [r["name"] for r in client.get("/api/budget/rules", headers=h).json()] == ["monthly"]
    assert client.get(f"/api/budget/rules/{rule['id']}", headers=h).json()["amount"] == 100


def test_a_second_member_cannot_see_or_change_the_first_members_rules(client, member, make_account, admin):
    other = make_account()
    rule = make_rule(member)
    for call in (lambda: client.get(f"/api/budget/rules/{rule['id']}", headers=other.headers),
                 lambda: client.put(f"/api/budget/rules/{rule['id']}", json={"amount": 1}, headers=other.headers),
                 lambda: client.delete(f"/api/budget/rules/{rule['id']}", headers=other.headers),
                 lambda: client.get("/api/budget/status", params={"rule_id": rule["id"]}, headers=other.headers),
                 lambda: client.get("/api/budget/decisions", params={"rule_id": rule["id"]}, headers=other.headers),
                 lambda: client.post("/api/budget/enforce", json={"rule_id": rule["id"]}, headers=other.headers)):
        body = assert_error(call(), 404, "NOT_FOUND")
        assert "monthly" not in str(body)
    assert client.get("/api/budget/rules", headers=other.headers).json() == []
    assert client.get("/api/budget/status", headers=other.headers).json() == {"budgets": [], "total": 0}
    assert client.get("/api/budget/rules/{}".format(rule["id"]), headers=member.headers).json()["amount"] == 100
    assert [r["id"] for r in client.get("/api/budget/rules", headers=admin.headers).json()] == [rule["id"]]
    # a scope on an account the member cannot see is as if it did not exist
    register(admin, "local", "private-engine", {"docker_host": "unix:///nonexistent.sock"})
    body = {"name": "x", "amount": 1, "scope": "account", "account_id": account_id(client, "private-engine")}
    assert_error(client.post("/api/budget/rules", json=body, headers=other.headers), 404, "NOT_FOUND")
    assert make_rule(admin, **body)["account_id"] == body["account_id"]  # its owner may


def test_status_sums_the_period_in_the_rules_currency_and_forecasts_the_run_rate(client, member, make_account):
    other = make_account()
    me, them = user_id(member), user_id(other)
    today = utcnow().date()
    start = today.replace(day=1)
    add_cost(client, 12.5, day=today, owner_id=me)
    add_cost(client, 7.5, day=start, owner_id=me, priced=False)
    add_cost(client, 1000, day=start - timedelta(days=1), owner_id=me)  # last period
    add_cost(client, 1000, day=today, owner_id=me, currency="EUR")  # another currency
    add_cost(client, 1000, day=today, owner_id=them)  # someone else's
    rule = make_rule(member, amount=40, thresholds=[{"percent": 25, "action": "alert"},
                                                    {"percent": 50, "action": "stop"},
                                                    {"percent": 100, "action": "stop"}])
    s = status_of(member, rule["id"])
    days = calendar.monthrange(today.year, today.month)[1]
    assert s["spent"] == 20.0 and s["spent_micros"] == 20_000_000
    assert s["forecast_micros"] == 20_000_000 * days // today.day
    assert s["percent"] == 50.0 and s["priced"] is False
    assert s["crossed"] == {"percent": 50, "action": "stop"} and s["status"] == "warning"
    assert s["period_start"] == start.isoformat() and s["amount"] == 40.0

    daily = make_rule(member, name="daily", amount=10, period="daily")
    d = status_of(member, daily["id"])
    assert d["spent"] == 12.5 and d["forecast"] == 12.5 and d["percent"] == 125.0 and d["status"] == "exceeded"
    assert d["period_start"] == d["period_end"] == today.isoformat()

    eur = make_rule(member, name="eur", amount=2000, currency="EUR")
    assert status_of(member, eur["id"])["spent"] == 1000.0


def test_rules_count_against_the_budget_rules_quota(client, admin, member):
    r = client.put(f"/api/users/{user_id(member)}/quotas", json={"budget_rules": 1}, headers=admin.headers)
    assert r.status_code == 200, r.text
    make_rule(member)
    assert_error(client.post("/api/budget/rules", json={"name": "second", "amount": 5}, headers=member.headers),
                 403, "FORBIDDEN")
    assert len(client.get("/api/budget/rules", headers=member.headers).json()) == 1
    assert client.get("/api/quotas/me", headers=member.headers).json()["quotas"]["budget_rules"]["used"] == 1


def test_amounts_are_exact_millionths(client, member):
    assert make_rule(member, amount="0.000001")["amount_micros"] == 1
    assert make_rule(member, amount=19.99)["amount_micros"] == 19_990_000
    for amount in ("0.0000001", "1e30", 0):
        r = client.post("/api/budget/rules", json={"name": "x", "amount": amount}, headers=member.headers)
        assert r.status_code == 400, (amount, r.text)
