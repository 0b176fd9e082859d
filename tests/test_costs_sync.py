"""The spending sync on real interfaces: AWS Cost Explorer `GetCostAndUsage` on a moto server
(results seeded through `/moto-api/static/ce/cost-and-usage-results`), idempotent re-syncs,
manual records left alone, a provider that is down (backoff, last data kept, marked stale), and
the local engine's cost model (a container that ran 3 hours costs 3 hours)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from costs_support import (
    CREDS,
    DAY1,
    DAY2,
    cloud_account,
    machine,
    seed_ce,
    sync_spending,
)
from helpers_api import db, wait_for_task
from inventory_support import register
from moto_server import free_port, moto, moto_url  # noqa: F401  (fixtures)
from sqlalchemy import select

from cloudfold.db.models import Account, CostSync, Resource
from cloudfold.domain.costs import sync as cost_sync

pytestmark = pytest.mark.database


def spending(account, **params) -> list[dict]:
    r = account.client.get("/api/budget/spending", params={"start_date": str(DAY1), **params}, headers=account.headers)
    assert r.status_code == 200, r.text
    return r.json()


def test_cost_explorer_records_are_synced_once_and_manual_ones_kept(client, admin, moto):
    seed_ce(moto)
    register(admin, "aws", "aws-ce", {"endpoint_url": moto, "regions": ["us-east-1"]}, CREDS, region="us-east-1")
    manual = client.post("/api/budget/spending", headers=admin.headers,
                         json={"amount": 1.5, "date": str(DAY1), "service": "Amazon Simple Storage Service",
                               "provider_id": "aws-ce"})
    assert manual.status_code == 201, manual.text
    tasks = sync_spending(admin)
    assert tasks["aws-ce"]["status"] == "succeeded", tasks["aws-ce"]
    first = spending(admin, provider="aws", source="sync")
    assert sorted((x["date"], x["service"][:10], x["amount"]) for x in first) == [
        (str(DAY1), "Amazon Ela", 2.496), (str(DAY1), "Amazon Sim", 0.081),
        (str(DAY2), "Amazon Ela", 2.5), (str(DAY2), "Amazon Sim", 0.09)]
    assert all(x["stale"] is False for x in first)

    sync_spending(admin)  # the same period again changes nothing
    again = spending(admin, provider="aws", source="sync")
    assert sorted((x["id"], x["amount"]) for x in again) == sorted((x["id"], x["amount"]) for x in first)
    kept = spending(admin, source="manual")
    assert [(x["id"], x["amount"]) for x in kept] == [(manual.json()["id"], 1.5)]
    costs = client.get("/billing/costs", params={"start_date": str(DAY1), "end_date": str(DAY2),
                                                 "group_by": "provider"}, headers=admin.headers).json()
    assert costs["total_cost"] == round(2.496 + 0.081 + 2.5 + 0.09 + 1.5, 2)
    ec2_hours = client.get("/cost/free-tier", headers=admin.headers).json()
    assert ec2_hours["accounts"]  # the account has allowances listed

    # Cost Explorer down: the sync fails, backs off, keeps the records and marks them stale
    with db(client) as s:
        account = s.scalar(select(Account).where(Account.slug == "aws-ce"))
        account.config = {**account.config, "endpoint_url": f"http://127.0.0.1:{free_port()}", "max_attempts": 1,
                          "timeout": 1}
    failed = sync_spending_failed(admin)
    assert failed["status"] == "failed"
    after = spending(admin, provider="aws", source="sync")
    assert sorted((x["id"], x["amount"]) for x in after) == sorted((x["id"], x["amount"]) for x in first)
    assert all(x["stale"] for x in after)
    with db(client) as s:
        state = s.scalar(select(CostSync).join(Account, Account.id == CostSync.account_id)
                         .where(Account.slug == "aws-ce"))
        assert state.failures == 1 and state.last_status == "failed" and state.next_after is not None
        assert "AWS unreachable" in state.last_error or "Driver" in state.last_error
        due = [a.slug for a in cost_sync.due(s, 900)]
    assert "aws-ce" not in due  # backing off


def sync_spending_failed(account) -> dict:
    r = account.client.post("/api/budget/sync-spending", headers=account.headers)
    outer = wait_for_task(account.client, account.headers, r.json()["task_id"], timeout=60)
    return wait_for_task(account.client, account.headers, outer["result"]["syncs"]["aws-ce"], timeout=60)


def test_the_cost_model_charges_the_hours_a_container_ran(client, admin):
    admin_id = client.get("/auth/me", headers=admin.headers).json()["id"]
    engine = cloud_account(client, "proxmox", admin_id)
    box = machine(client, engine, "proxmox")
    idle = machine(client, engine, "proxmox", status="stopped")
    with db(client) as s:
        s.get(Account, engine).config = {"prices": {"vcpu_hour": "0.02", "memory_gb_hour": "0.005"}}
        s.get(Resource, box).meta = {"cpus": 2, "maxmem": 4 * 1024 ** 3, "uptime": 3 * 3600}
    tasks = sync_spending(admin)  # no provider call: the model reads the inventory
    assert tasks[slug_of(client, engine)]["status"] == "succeeded"
    now = datetime.now(UTC)
    rows = [x for x in spending(admin, source="model") if x["resource_id"] in (box, idle)]
    assert {x["resource_id"] for x in rows} == {box}  # a stopped machine ran no hours
    hours = sum(x["detail"]["hours"] for x in rows)
    assert hours == pytest.approx(3.0, abs=0.02)  # 3 hours, split at midnight if it ran across it
    # 2 vCPU × 0.02 + 4 GB × 0.005 = 0.06 an hour, × 3 hours
    assert sum(x["amount"] for x in rows) == pytest.approx(0.18, abs=0.002)
    assert all(x["date"] in (str(now.date()), str(now.date() - timedelta(days=1))) for x in rows)
    sync_spending(admin)  # again: the same records, updated in place
    again = [x for x in spending(admin, source="model") if x["resource_id"] == box]
    assert sorted(x["id"] for x in again) == sorted(x["id"] for x in rows)


def slug_of(client, account_id: int) -> str:
    with db(client) as s:
        return s.get(Account, account_id).slug


def test_cost_explorer_throttling_is_a_provider_unavailable_error():
    """Cost Explorer answers a throttled call with LimitExceededException (HTTP 400): a retryable
    'unavailable', which backs the account's spending sync off, not a bad request."""
    from botocore.exceptions import ClientError

    from cloudfold.drivers.aws.errors import translate
    from cloudfold.drivers.base import DriverUnavailable

    throttled = ClientError({"Error": {"Code": "LimitExceededException", "Message": "Rate exceeded"},
                             "ResponseMetadata": {"HTTPStatusCode": 400}}, "GetCostAndUsage")
    assert isinstance(translate(throttled), DriverUnavailable)


def test_due_follows_the_spending_sync_interval_setting(client, admin):
    account = cloud_account(client, "proxmox")
    with db(client) as s:
        cost_sync.state(s, account).last_at = datetime.now(UTC) - timedelta(seconds=200)
    with db(client) as s:
        assert account not in [a.id for a in cost_sync.due(s, 900)]  # 200 s ago < the default 300 s
    r = client.put("/api/settings/spending_sync_interval", json={"value": 60}, headers=admin.headers)
    assert r.status_code == 200, r.text
    with db(client) as s:
        assert account in [a.id for a in cost_sync.due(s, 900)]


def test_one_sync_holds_the_lock_and_a_request_meanwhile_gets_one_follow_up(client):
    account = cloud_account(client, "proxmox")
    with db(client) as s:
        assert cost_sync._acquire(s, account, "task-a", 900) is True
        assert cost_sync._acquire(s, account, "task-b", 900) is False  # held: merged
        assert s.get(CostSync, account).requested is True
        assert cost_sync._release(s, account) is True  # the holder runs once more
        assert cost_sync._acquire(s, account, "task-c", 900) is True
        assert cost_sync._release(s, account) is False
