"""Issue 11's "done when", as one story over real interfaces: an AWS account on moto's server
with Cost Explorer data seeded, and the tests' Podman engine as a local account with prices.
The admin sees this month's cost, the projection, free-tier use and a price comparison
through seed 000 (`/cost*`) and seed 002 (`/billing/*`), the same numbers in both; makes a
100 % `stop` rule, sees in a dry run which machines would stop, turns dry run off, and after
the grace period the over-budget machines stop while the protected one keeps running — each
stop in the audit log, the action history and on `/ws`; then runs a lockdown and undoes it.
Every machine carries this test's labels and every scope names them."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime

import pytest
from costs_support import CREDS, DAY1, DAY2, seed_ce, sync_spending
from helpers_api import audit_page
from inventory_support import find, register, sync
from moto_server import moto, moto_url  # noqa: F401  (fixtures)

pytestmark = pytest.mark.database  # also run on PostgreSQL in CI

TODAY = datetime.now(UTC).date()
SEEDED = {DAY1: (2.496, 0.081), DAY2: (2.5, 0.09)}  # what seed_ce puts in Cost Explorer
# the local engine's cost model, priced high so that a few seconds of running cross the budget
PRICES = {"vcpu_hour": 3600, "memory_gb_hour": 0, "disk_gb_month": 0}


def _get(client, admin, path: str, **params) -> dict:
    r = client.get(path, params=params, headers=admin.headers)
    assert r.status_code == 200, r.text
    return r.json()


def _enforce(client, admin, **body) -> dict:
    r = client.post("/api/budget/enforce", json=body, headers=admin.headers)
    assert r.status_code == 200, r.text
    return r.json()


def _by(run: dict, decision: str) -> set[str]:
    return {d["resource_name"] for d in run["decisions"] if d["decision"] == decision}


def _status(container) -> str:
    container.reload()
    return container.status


def _stops_heard(ws, wanted: set[int]) -> set[int]:
    heard: set[int] = set()
    while not wanted <= heard:
        event = json.loads(ws.receive_text())
        if event.get("type") == "resource_change" and event.get("action") == "stop":
            heard.add(int(event["resource_id"]))
    return heard


def test_budget_done_when(client, admin, moto, make_container, engine_socket):
    # -- an AWS account with Cost Explorer data, and a local engine with prices ----------------
    seed_ce(moto)
    register(admin, "aws", "aws-bill", {"endpoint_url": moto, "regions": ["us-east-1"]}, CREDS, region="us-east-1")
    tag = uuid.uuid4().hex[:12]
    budget, lock = {"cf-budget": tag}, {"cf-lock": tag}
    a, b = make_container(labels=budget), make_container(labels=budget)
    keep = make_container(labels={**budget, **lock, "cloudfold.protect": "yes"})
    d = make_container(labels=lock)
    register(admin, "local", "podman", {"docker_host": engine_socket, "prices": PRICES})
    sync(admin, "podman")
    ids = {c: find(admin, "podman", c.name)["id"] for c in (a, b, keep, d)}
    time.sleep(2)  # the machines have run a few (priced) seconds
    assert {t["status"] for t in sync_spending(admin).values()} == {"succeeded"}

    # -- this month's cost, projection, free tier and comparison: seed 000 and seed 002 --------
    aws_this_month = round(sum(sum(v) for day, v in SEEDED.items() if day.month == TODAY.month), 6)
    earlier = _get(client, admin, "/cost/summary")
    billing = _get(client, admin, "/billing/summary")
    summary = _get(client, admin, "/cost/summary")
    total = summary["thisMonth"]["total"]
    assert total == earlier["thisMonth"]["total"] == billing["current_month"]["total_cost"]
    assert total > aws_this_month  # AWS's records plus the engine's modelled ones
    # the running machines' part shrinks by their price for every second that passes between
    # the requests (a vCPU costs $1 a second here): seed 002's projection lies between the two
    # of seed 000 taken before and after it
    assert earlier["projectedMonthEnd"]["total"] + 0.01 >= billing["current_month"]["projected_cost"] \
        >= summary["projectedMonthEnd"]["total"] - 0.01
    assert summary["projectedMonthEnd"]["total"] >= total
    costs = _get(client, admin, "/billing/costs", group_by="provider")
    by_provider = {x["provider"]: x["cost"] for x in costs["breakdown"]}
    assert by_provider["aws"] == round(aws_this_month, 2) and costs["total_cost"] == total
    assert by_provider["local"] == pytest.approx(total - aws_this_month, abs=0.011)
    breakdown = _get(client, admin, "/cost/breakdown")
    assert breakdown["total"] == total
    assert {m["id"] for m in breakdown["byMachine"]} >= set(ids.values())
    free = _get(client, admin, "/cost/free-tier")
    aws_tier = next(x for x in free["accounts"] if x["providerId"] == "aws-bill")
    hours = next(x for x in aws_tier["allowances"] if x["metric"] == "compute_hours")
    in_month = sum(1 for day in SEEDED if day.month == TODAY.month)
    assert hours["used"] == 24.0 * in_month and hours["limit"] == 750 and hours["level"] == "ok"
    comparison = _get(client, admin, "/cost/comparison")
    two_by_four = next(s for s in comparison["sizes"] if (s["vcpu"], s["memoryGb"]) == (2, 4))
    assert {o["provider"] for o in two_by_four["offers"]} == {"aws", "gcp", "azure", "oci"}
    assert set(_get(client, admin, "/cost")) == {"summary", "breakdown", "freeTier", "resourceUsage", "comparison"}

    # -- a 100 % stop rule: dry run, then for real after the grace period ----------------------
    r = client.post("/api/budget/rules", headers=admin.headers, json={
        "name": "engine budget", "amount": 1, "scope": "tag", "tag_key": "cf-budget", "tag_value": tag,
        "grace_seconds": 2, "thresholds": [{"percent": 100, "action": "stop"}]})
    assert r.status_code == 201 and r.json()["dry_run"] is True, r.text
    rule = r.json()
    status = _get(client, admin, "/api/budget/status", rule_id=rule["id"])["budgets"][0]
    assert status["percent"] >= 100, status
    run = _enforce(client, admin)
    assert _by(run, "would_stop") == {a.name, b.name} and _by(run, "skipped") == {keep.name}
    assert {_status(c) for c in (a, b, keep, d)} == {"running"}

    r = client.put(f"/api/budget/rules/{rule['id']}", json={"dry_run": False}, headers=admin.headers)
    assert r.status_code == 200 and r.json()["dry_run"] is False, r.text
    with client.websocket_connect(f"/ws?token={admin.key}") as ws:
        run = _enforce(client, admin, rule_id=rule["id"])
        assert _by(run, "marked") == {a.name, b.name} and run["stopped"] == 0
        assert {_status(c) for c in (a, b)} == {"running"}  # the grace period has begun
        time.sleep(2.2)
        run = _enforce(client, admin, rule_id=rule["id"])
        assert _by(run, "stopped") == {a.name, b.name}, run
        assert _stops_heard(ws, {ids[a], ids[b]}) >= {ids[a], ids[b]}
    assert _status(a) == _status(b) == "exited" and _status(keep) == _status(d) == "running"
    for c in (a, b):
        logs = _get(client, admin, f"/api/resources/{ids[c]}/logs")
        assert (logs[0]["action"], logs[0]["result"], logs[0]["via"]) == ("stop", "success", f"budget rule {rule['id']}")
    stopped = {e["target"] for e in audit_page(client, admin.headers, action="resource.stop", limit=50)["events"]
               if e["result"] == "success"}
    assert {f"resource:{ids[a]}", f"resource:{ids[b]}"} <= stopped

    # -- a lockdown and its undo ----------------------------------------------------------------
    scope = {"scope": "tag", "tag_key": "cf-lock", "tag_value": tag}
    preview = client.post("/api/orchestrate/lockdown", json={**scope, "dry_run": True}, headers=admin.headers).json()
    assert [m["name"] for m in preview["would_stop"]] == [d.name]
    assert [m["name"] for m in preview["protected"]] == [keep.name]
    with client.websocket_connect(f"/ws?token={admin.key}") as ws:
        r = client.post("/api/orchestrate/lockdown", json={**scope, "confirm": "LOCKDOWN", "reason": "done-when"},
                        headers=admin.headers)
        assert r.status_code == 200 and r.json()["status"] == "done", r.text
        assert _stops_heard(ws, {ids[d]}) >= {ids[d]}
    lockdown = r.json()
    assert lockdown["stopped"] == [ids[d]] and _status(d) == "exited" and _status(keep) == "running"
    assert _get(client, admin, f"/api/resources/{ids[d]}/logs")[0]["via"] == f"lockdown {lockdown['id']}"
    r = client.post(f"/api/orchestrate/lockdown/{lockdown['id']}/restore", headers=admin.headers)
    assert r.status_code == 200 and r.json()["status"] == "restored", r.text
    assert _status(d) == "running" and _status(a) == _status(b) == "exited"  # exactly what it stopped
    actions = {e["action"] for e in audit_page(client, admin.headers, limit=200)["events"]}
    assert {"budget_rule.create", "lockdown.start", "lockdown.done", "lockdown.restore", "lockdown.restored",
            "resource.stop", "resource.start"} <= actions, actions
