"""Helpers for the cost tests: accounts, machines and cost records written straight to the
database (the state a sync or a user would have left), and the principal of a test user."""

from __future__ import annotations

import json
import urllib.request
import uuid
from datetime import UTC, date, datetime, timedelta

from helpers_api import db, me, wait_for_task

from cloudfold.db.models import Account as CloudAccount
from cloudfold.db.models import CostRecord, Resource
from cloudfold.domain.context import Principal

CREDS = {"access_key": "AKIAIOSFODNN7EXAMPLE", "secret_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
TODAY = datetime.now(UTC).date()
DAY1, DAY2 = TODAY - timedelta(days=2), TODAY - timedelta(days=1)


def seed_ce(url: str, days: tuple[date, date] = (DAY1, DAY2)) -> None:
    """Cost Explorer results on a moto server: EC2 and S3 on two days (DAY1 and DAY2 unless
    told; hours and GB-months too)."""
    def period(day, ec2, s3):
        return {"TimePeriod": {"Start": str(day), "End": str(day + timedelta(days=1))}, "Estimated": False,
                "Total": {}, "Groups": [
                    {"Keys": ["Amazon Elastic Compute Cloud - Compute"],
                     "Metrics": {"UnblendedCost": {"Amount": ec2, "Unit": "USD"},
                                 "UsageQuantity": {"Amount": "24", "Unit": "Hrs"}}},
                    {"Keys": ["Amazon Simple Storage Service"],
                     "Metrics": {"UnblendedCost": {"Amount": s3, "Unit": "USD"},
                                 "UsageQuantity": {"Amount": "3.5", "Unit": "GB-Mo"}}}]}

    body = json.dumps({"results": [{"ResultsByTime": [period(days[0], "2.4960000000", "0.0810"),
                                                      period(days[1], "2.5000000000", "0.0900")],
                                    "DimensionValueAttributes": []}]}).encode()
    req = urllib.request.Request(f"{url}/moto-api/static/ce/cost-and-usage-results", data=body, method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        assert r.status == 201


def sync_spending(account) -> dict:
    r = account.client.post("/api/budget/sync-spending", headers=account.headers)
    assert r.status_code == 202, r.text
    outer = wait_for_task(account.client, account.headers, r.json()["task_id"], timeout=60)
    assert outer["status"] == "succeeded", outer
    return {slug: wait_for_task(account.client, account.headers, tid, timeout=60)
            for slug, tid in outer["result"]["syncs"].items()}


def principal(account) -> Principal:
    mine = me(account.client, account.headers)
    return Principal(mine["id"], str(uuid.uuid4()), account.email, "member", frozenset({"read", "write"}))


def cloud_account(client, provider: str = "aws", owner_id: int | None = None) -> int:
    with db(client) as session:
        row = CloudAccount(slug=f"{provider}-{uuid.uuid4().hex[:8]}", provider_type=provider,
                           display_name=provider, owner_id=owner_id, config={})
        session.add(row)
        session.flush()
        return row.id


def machine(client, account_id: int, provider: str = "aws", status: str = "running",
            cost_per_hour: float | None = None, owner_id: int | None = None) -> int:
    with db(client) as session:
        row = Resource(account_id=account_id, provider=provider, kind="vm", external_id=uuid.uuid4().hex,
                       name="m", status=status, cost_per_hour=cost_per_hour, owner_id=owner_id)
        session.add(row)
        session.flush()
        return row.id


def record(client, day: date, amount: float, account_id: int | None = None, provider: str = "aws",
           service: str = "EC2", currency: str = "USD", priced: bool = True, owner_id: int | None = None,
           resource_id: int | None = None, source: str = "sync") -> None:
    with db(client) as session:
        session.add(CostRecord(account_id=account_id, provider=provider, day=day, service=service, source=source,
                               amount_micros=round(amount * 1_000_000), currency=currency, priced=priced,
                               owner_id=owner_id, resource_id=resource_id,
                               dedupe_key=None if source == "manual" else uuid.uuid4().hex, detail={}))
