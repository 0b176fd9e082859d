"""Scheduled enforcement on the real container engine, driven as the app drives it: the
scheduler's `budgets.enforce_due` tick (every `schedule_tick_seconds`) takes the rules due by
`budget_enforce_interval` of `/api/settings`; a run marks the over-budget machine, and the
next scheduled run — one interval later, after the grace — stops it through the action path,
while the protected machine keeps running. No `POST /api/budget/enforce` here."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest
from budgets_support import account_id, add_cost, make_rule
from helpers_api import audit_page, wait_until
from inventory_support import register

from cloudfold.db.base import utcnow

pytestmark = pytest.mark.database  # also run on PostgreSQL in CI

INTERVAL = 10  # the setting's minimum


def _decisions(client, account, rule_id: int) -> list[dict]:
    r = client.get("/api/budget/decisions", params={"rule_id": rule_id}, headers=account.headers)
    assert r.status_code == 200, r.text
    return r.json()


def _at(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()



def test_the_scheduled_run_stops_an_over_budget_machine_after_its_grace(make_client, make_account, make_container,
                                                                        engine_socket):
    client = make_client(schedule_tick_seconds=1)
    admin = make_account("admin", client_=client)
    r = client.put("/api/settings/budget_enforce_interval", json={"value": INTERVAL}, headers=admin.headers)
    assert r.status_code == 200, r.text
    tag = uuid.uuid4().hex
    spender = make_container(labels={"budget-sched": tag})
    keep = make_container(labels={"budget-sched": tag, "cloudfold.protect": "yes"})
    register(admin, "local", "podman", {"docker_host": engine_socket})  # the scheduler syncs it (tick: 1 s)

    def listed():
        r = client.get("/api/resources", params={"provider_id": "podman", "resource_type": "container", "limit": 1000},
                       headers=admin.headers)
        found = {x["name"]: x["id"] for x in r.json() if x["name"] in (spender.name, keep.name)}
        return found if len(found) == 2 else None
    ids = wait_until(listed, 30, "the scheduled inventory sync")
    add_cost(client, 150, day=utcnow().date(), account_id=account_id(client, "podman"), resource_id=ids[spender.name])

    rule = make_rule(admin, name="sched", amount=100, scope="tag", tag_key="budget-sched", tag_value=tag,
                     dry_run=False, grace_seconds=2, thresholds=[{"percent": 100, "action": "stop"}])
    marked = wait_until(lambda: [d for d in _decisions(client, admin, rule["id"]) if d["decision"] == "marked"],
                       15, "the first scheduled run to mark the machine")
    assert [d["resource_id"] for d in marked] == [ids[spender.name]]
    spender.reload()
    assert spender.status == "running"  # marked, not stopped: its grace has only begun

    stopped = wait_until(lambda: [d for d in _decisions(client, admin, rule["id"]) if d["decision"] == "stopped"],
                        INTERVAL + 20, "the next scheduled run to stop it")
    assert [d["resource_id"] for d in stopped] == [ids[spender.name]]
    # the grace (2 s) was over long before; the stop waited for the next run, due one interval later
    gap = (_at(stopped[0]["created_at"]) - _at(marked[0]["created_at"]))
    assert gap >= INTERVAL - 1, gap
    spender.reload()
    keep.reload()
    assert spender.status == "exited" and keep.status == "running"
    skipped = {d["resource_id"] for d in _decisions(client, admin, rule["id"]) if d["decision"] == "skipped"}
    assert ids[keep.name] in skipped

    logs = client.get(f"/api/resources/{ids[spender.name]}/logs", headers=admin.headers).json()
    assert logs[0]["action"] == "stop" and logs[0]["result"] == "success" and logs[0]["via"] == f"budget rule {rule['id']}"
    runs = [e for e in audit_page(client, admin.headers, action="budget.enforce", limit=50)["events"]
            if (e.get("detail") or {}).get("scheduled")]
    assert any(e["detail"].get("stopped") == 1 for e in runs), runs
    assert not [e for e in audit_page(client, admin.headers, limit=200)["events"] if e["action"] == "budget.enforce"
                and not (e.get("detail") or {}).get("scheduled")]  # nothing asked for it on demand
