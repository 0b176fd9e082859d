"""Budget enforcement on the real container engine: dry run, grace period, protection label,
cap per run, notices once per period and threshold through the alert channels, a decision for
everything, every stop through the one action path (audit, action history, /ws), and never a
machine the rule's owner cannot see. Every machine here carries this test's own label, and
every rule is scoped to it, so no other session's containers are ever in scope."""

from __future__ import annotations

import json
import time
import uuid
from datetime import timedelta

from budgets_support import account_id, add_cost, make_rule, status_of, user_id
from conftest import assert_error
from helpers_api import audit_page, db
from inventory_support import find, register, sync
import pytest

from cloudfold.db.base import utcnow
from cloudfold.db.models import Account, BudgetRule

pytestmark = pytest.mark.database  # also run on PostgreSQL in CI


@pytest.fixture
def fleet(admin, make_container, engine_socket):
    """Three running containers of this test (one protected) on the admin's engine account, and
    spending on them of 150 USD today."""
    tag = uuid.uuid4().hex
    made = {name: make_container(labels={"budget-test": tag, **({"cloudfold.protect": "true"} if name == "keep"
                                                                else {})})
            for name in ("a", "b", "keep")}
    register(admin, "local", "podman", {"docker_host": engine_socket})
    sync(admin, "podman")
    records = {name: find(admin, "podman", c.name) for name, c in made.items()}
    acct = account_id(admin.client, "podman")
    for rec in records.values():
        add_cost(admin.client, 50, day=utcnow().date(), account_id=acct, resource_id=rec["id"])
    return tag, made, records


def _rule(account, tag: str, **fields) -> dict:
    return make_rule(account, name="fleet", amount=100, scope="tag", tag_key="budget-test", tag_value=tag,
                     thresholds=[{"percent": 100, "action": "stop"}], **fields)


def _enforce(account, **body) -> dict:
    r = account.client.post("/api/budget/enforce", json=body, headers=account.headers)
    assert r.status_code == 200, r.text
    return r.json()


def _by(run: dict, decision: str) -> set:
    return {d["resource_name"] for d in run["decisions"] if d["decision"] == decision}


def _status(container) -> str:
    container.reload()
    return container.status


def test_dry_run_then_grace_then_stop_keeps_the_protected_one(client, admin, fleet):
    tag, made, recs = fleet
    rule = _rule(admin, tag, grace_seconds=2)
    names = {k: c.name for k, c in made.items()}
    channel = client.post("/api/alert-channels", json={"name": "ops", "type": "email", "to": ["ops@example.com"]},
                          headers=admin.headers)
    assert channel.status_code == 201, channel.text

    run = _enforce(admin)  # a new rule is a dry run: report, change nothing
    assert _by(run, "would_stop") == {names["a"], names["b"]} and run["stopped"] == run["marked"] == 0
    assert _by(run, "skipped") == {names["keep"]}
    assert all(d["dry_run"] for d in run["decisions"])
    assert {_status(c) for c in made.values()} == {"running"}

    r = client.put(f"/api/budget/rules/{rule['id']}", json={"dry_run": False}, headers=admin.headers)
    assert r.status_code == 200 and r.json()["dry_run"] is False, r.text
    with client.websocket_connect(f"/ws?token={admin.key}") as ws:
        ws.send_text("ping")
        assert json.loads(ws.receive_text()) == {"type": "pong"}
        run = _enforce(admin)  # marked with the time they stop; nothing stopped yet
        assert _by(run, "marked") == {names["a"], names["b"]} and run["stopped"] == 0
        stop_at = {d["stop_at"] for d in run["decisions"] if d["decision"] == "marked"}
        assert len(stop_at) == 1 and None not in stop_at
        assert _enforce(admin)["stopped"] == 0  # still within the grace period
        assert {_status(c) for c in made.values()} == {"running"}

        time.sleep(2.2)
        run = _enforce(admin)
        assert _by(run, "stopped") == {names["a"], names["b"]}, run
        stops = set()
        while len(stops) < 2:
            event = json.loads(ws.receive_text())
            if event.get("type") == "resource_change" and event.get("action") == "stop":
                stops.add(int(event["resource_id"]))
        assert stops == {recs["a"]["id"], recs["b"]["id"]}
    assert _status(made["a"]) == _status(made["b"]) == "exited"
    assert _status(made["keep"]) == "running"
    notices = [d["subject"] for d in client.get("/api/alert-deliveries", headers=admin.headers).json()
               if d["kind"] == "budget" and d["channel_id"] == channel.json()["id"]]
    assert sorted(notices) == ["[BUDGET 100%] fleet: 150.0% spent", "[BUDGET] fleet: 2 machine(s) will be stopped"]

    for key in ("a", "b"):
        logs = client.get(f"/api/resources/{recs[key]['id']}/logs", headers=admin.headers).json()
        assert logs[0]["action"] == "stop" and logs[0]["result"] == "success"
        assert logs[0]["via"] == f"budget rule {rule['id']}"
    events = audit_page(client, admin.headers, action="resource.stop", limit=50)["events"]
    assert {e["target"] for e in events if e["result"] == "success"} >= {f"resource:{recs[k]['id']}" for k in "ab"}
    decisions = client.get("/api/budget/decisions", params={"rule_id": rule["id"]}, headers=admin.headers).json()
    assert {"would_stop", "marked", "stopped", "skipped", "notified"} <= {d["decision"] for d in decisions}
    stopped = [d for d in decisions if d["decision"] == "stopped"]
    assert all(d["threshold"] == 100 and d["action"] == "stop" and "150.00 of 100.00 USD" in d["reason"]
               for d in stopped)


def test_cap_per_run_and_a_budget_no_longer_crossed_calls_the_stop_off(client, admin, fleet):
    tag, made, recs = fleet
    rule = _rule(admin, tag, grace_seconds=0, max_stops=1)
    client.put(f"/api/budget/rules/{rule['id']}", json={"dry_run": False}, headers=admin.headers)
    run = _enforce(admin)
    assert run["stopped"] == 1 and len(_by(run, "skipped")) == 2  # one over the cap, one protected
    assert any("cap of 1" in d["reason"] for d in run["decisions"] if d["decision"] == "skipped")
    run = _enforce(admin)
    assert run["stopped"] == 1
    assert {_status(made["a"]), _status(made["b"])} == {"exited"} and _status(made["keep"]) == "running"

    # grace: marked, then the budget is raised above the spend: the mark is cleared, nothing stops
    for key in ("a", "b"):
        assert client.post(f"/api/resources/{recs[key]['id']}/action", json={"action": "start"},
                           headers=admin.headers).status_code == 200
    client.put(f"/api/budget/rules/{rule['id']}", json={"grace_seconds": 1, "max_stops": 10}, headers=admin.headers)
    assert _enforce(admin)["marked"] == 2
    time.sleep(1.2)
    preview = _enforce(admin, dry_run=True)  # a dry run asked for: reports, stops and clears nothing
    assert _by(preview, "would_stop") == {made["a"].name, made["b"].name} and preview["stopped"] == 0
    assert {_status(c) for c in made.values()} == {"running"}
    client.put(f"/api/budget/rules/{rule['id']}", json={"amount": 1000}, headers=admin.headers)
    run = _enforce(admin)
    assert run["stopped"] == 0 and len(_by(run, "cleared")) == 2
    assert {_status(c) for c in made.values()} == {"running"}


def test_thresholds_notify_once_per_period_through_the_alert_channels(client, member):
    me = user_id(member)
    h = member.headers
    r = client.post("/api/alert-channels", json={"name": "me", "type": "email", "to": ["me@example.com"]}, headers=h)
    assert r.status_code == 201, r.text
    add_cost(client, 60, day=utcnow().date(), owner_id=me)
    rule = make_rule(member, amount=100, thresholds=[{"percent": 50, "action": "alert"},
                                                     {"percent": 80, "action": "alert"}])
    run = _enforce(member)
    assert [d["threshold"] for d in run["decisions"] if d["decision"] == "notified"] == [50]
    assert _enforce(member)["decisions"] == []  # told once per period and threshold
    add_cost(client, 30, day=utcnow().date(), owner_id=me)
    preview = _enforce(member, dry_run=True)["decisions"]  # a dry run tells no one
    assert [(d["decision"], d["threshold"]) for d in preview] == [("would_notify", 80)]
    assert [d["threshold"] for d in _enforce(member)["decisions"]] == [80]
    deliveries = client.get("/api/alert-deliveries", headers=h).json()
    assert sorted(d["subject"].split("]")[0] for d in deliveries if d["kind"] == "budget") == \
        ["[BUDGET 50%", "[BUDGET 80%"]
    assert rule["id"] in {d["rule_id"] for d in client.get("/api/budget/decisions", headers=h).json()}


def test_a_rules_owner_never_stops_what_they_cannot_see(client, admin, member, fleet):
    tag, made, recs = fleet
    me = user_id(member)
    # spending the member recorded against the admin's machines crosses the member's budget ...
    for key in ("a", "b"):
        add_cost(client, 500, day=utcnow().date(), owner_id=me, resource_id=recs[key]["id"])
    rule = make_rule(member, name="mine", amount=10, thresholds=[{"percent": 100, "action": "lockdown"}],
                     grace_seconds=0)
    r = client.put(f"/api/budget/rules/{rule['id']}", json={"dry_run": False}, headers=admin.headers)
    assert r.status_code == 200 and r.json()["dry_run"] is False  # an admin turned enforcement on
    run = _enforce(member)
    assert [d["decision"] for d in run["decisions"]] == ["notified"]  # ... yet none of them is in its reach
    assert {_status(c) for c in made.values()} == {"running"}
    # and the member sees nothing of the admin's rules or decisions
    admin_rule = _rule(admin, tag)
    _enforce(admin, rule_id=admin_rule["id"])
    assert all(d["rule_id"] == rule["id"] for d in client.get("/api/budget/decisions", headers=member.headers).json())
    assert_error(client.post("/api/budget/enforce", json={"rule_id": admin_rule["id"]}, headers=member.headers),
                 404, "NOT_FOUND")


def test_enforce_bad_input(client, member):
    h = member.headers
    assert_error(client.post("/api/budget/enforce", json={"rule_id": "x"}, headers=h), 422, "BAD_REQUEST")
    assert_error(client.post("/api/budget/enforce", json={"rule_id": 999999}, headers=h), 404, "NOT_FOUND")
    assert_error(client.post("/api/budget/enforce", json={"colour": 1}, headers=h), 422, "BAD_REQUEST")
    assert_error(client.get("/api/budget/decisions", params={"limit": 0}, headers=h), 422, "BAD_REQUEST")
    assert client.post("/api/budget/enforce", headers=h).json()["rules"] == 0


def test_the_schedule_enforces_due_rules(make_client, make_account):
    client = make_client(schedule_tick_seconds=1)
    member = make_account(client_=client)
    add_cost(client, 60, day=utcnow().date(), owner_id=user_id(member))
    rule = make_rule(member, amount=100, thresholds=[{"percent": 50, "action": "alert"}])
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        got = client.get(f"/api/budget/rules/{rule['id']}", headers=member.headers).json()
        if got["last_enforced_at"]:
            break
        time.sleep(0.3)
    assert got["last_enforced_at"], "the schedule never enforced the rule"
    decisions = client.get("/api/budget/decisions", params={"rule_id": rule["id"]}, headers=member.headers).json()
    assert [d["decision"] for d in decisions] == ["notified"]


def test_a_member_never_stops_a_shared_machine_they_may_only_see(client, admin, member, fleet):
    tag, made, recs = fleet
    with db(client) as session:  # the engine becomes a shared one (as the auto-registered `local` is)
        session.get(Account, account_id(client, "podman")).owner_id = None
    rule = make_rule(member, name="shared", amount=10, scope="tag", tag_key="budget-test", tag_value=tag,
                     thresholds=[{"percent": 100, "action": "lockdown"}], grace_seconds=0)
    assert status_of(member, rule["id"])["spent"] == 150.0  # the member sees the shared engine's spending
    client.put(f"/api/budget/rules/{rule['id']}", json={"dry_run": False}, headers=admin.headers)
    run = _enforce(member)
    assert run["stopped"] == 0 and _by(run, "skipped") == {c.name for c in made.values()}
    assert any("may see but not stop" in d["reason"] for d in run["decisions"])
    assert {_status(c) for c in made.values()} == {"running"}


def test_a_rule_being_enforced_elsewhere_is_left_to_that_run(client, member):
    add_cost(client, 60, day=utcnow().date(), owner_id=user_id(member))
    rule = make_rule(member, amount=100, thresholds=[{"percent": 50, "action": "alert"}])
    with db(client) as session:  # another process holds the rule's lease
        session.get(BudgetRule, rule["id"]).enforcing_until = utcnow() + timedelta(minutes=5)
    run = _enforce(member)
    assert run["rules"] == 0 and run["decisions"] == []
    with db(client) as session:  # a lease whose run died ends
        session.get(BudgetRule, rule["id"]).enforcing_until = utcnow() - timedelta(seconds=1)
    run = _enforce(member)
    assert run["rules"] == 1 and [d["decision"] for d in run["decisions"]] == ["notified"]
    with db(client) as session:
        assert session.get(BudgetRule, rule["id"]).enforcing_until is None
