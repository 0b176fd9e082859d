"""Seed 000 cost over HTTP: /cost/breakdown (by provider and machine), /cost/free-tier (use
against the allowance, with a level), /cost/resource-usage, /cost/comparison, and /cost with
all of them; bad input and another member's view."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from conftest import assert_error
from costs_support import cloud_account, machine, principal, record

TODAY = datetime.now(UTC).date()


@pytest.fixture
def fleet(client, member):
    me = principal(member)
    aws = cloud_account(client, "aws", me.user_id)
    local = cloud_account(client, "local", me.user_id)
    box = machine(client, local, "local", cost_per_hour=0.25)
    record(client, TODAY, 20.0, aws, "aws", "EC2")
    record(client, TODAY, 0.75, local, "local", "compute", source="model", resource_id=box)
    with_hours(client, aws, 700.0)
    return member, aws, local, box


def with_hours(client, account_id, hours):
    from helpers_api import db

    from cloudfold.db.models import CostRecord

    with db(client) as s:
        s.add(CostRecord(account_id=account_id, provider="aws", day=TODAY, service="EC2 usage", source="sync",
                         amount_micros=0, currency="USD", priced=True, dedupe_key=f"hours-{account_id}",
                         detail={"hours": hours}))


def test_breakdown_by_provider_and_machine(client, fleet):
    member, _, _, box = fleet
    body = client.get("/cost/breakdown", headers=member.headers).json()
    assert body["total"] == 20.75 and body["priced"] is True
    assert [(x["provider"], x["cost"]) for x in body["byProvider"]] == [("aws", 20.0), ("local", 0.75)]
    assert body["byMachine"] == [{"id": box, "name": "m", "cost": 0.75, "priced": True}]


def test_free_tier_measures_use_against_the_allowance(client, fleet):
    member, aws, local, _ = fleet
    body = client.get("/cost/free-tier", headers=member.headers).json()
    assert body["asOf"] and body["source"] and body["period"] == TODAY.strftime("%Y-%m")
    accounts = {a["accountId"]: a for a in body["accounts"]}
    assert local not in accounts  # no free tier for a local engine
    compute = next(x for x in accounts[aws]["allowances"] if x["metric"] == "compute_hours")
    assert (compute["limit"], compute["used"], compute["percent"], compute["level"]) == (750, 700.0, 93.3, "warning")
    storage = next(x for x in accounts[aws]["allowances"] if x["metric"] == "storage_gb")
    assert storage["used"] == 0 and storage["level"] == "ok"


def test_resource_usage_per_machine(client, fleet):
    member, _, _, box = fleet
    body = client.get("/cost/resource-usage", headers=member.headers).json()
    row = next(m for m in body["machines"] if m["id"] == box)
    assert row["cost"] == 0.75 and row["status"] == "running" and row["provider"] == "local"


def test_comparison_prices_each_size_at_each_provider(client, member):
    body = client.get("/cost/comparison", headers=member.headers).json()
    assert body["currency"] == "USD" and body["hoursPerMonth"] == 730
    two_by_four = next(s for s in body["sizes"] if (s["vcpu"], s["memoryGb"]) == (2, 4))
    offers = {o["provider"]: o for o in two_by_four["offers"]}
    assert offers["aws"]["instanceType"] == "t4g.medium" and offers["aws"]["hourly"] == 0.0336  # cheapest 2×4
    assert offers["aws"]["monthly"] == 24.53  # 0.0336 × 730
    # shapes two providers sell; AWS-only ones (0.5 GB, 3.75 GB, 96 vCPUs…) price the inventory only
    assert [(s["vcpu"], s["memoryGb"]) for s in body["sizes"]] == [(1, 1), (1, 2), (2, 1), (2, 2), (2, 4), (2, 8),
                                                                    (4, 16)]
    assert set(offers) == {"aws", "gcp", "azure", "oci"}


def test_cost_has_every_part(client, fleet):
    member = fleet[0]
    body = client.get("/cost", headers=member.headers).json()
    assert set(body) == {"summary", "breakdown", "freeTier", "resourceUsage", "comparison"}
    assert body["summary"]["thisMonth"]["total"] == body["breakdown"]["total"] == 20.75


def test_bad_input(client, member):
    assert_error(client.get("/cost/breakdown", params={"start_date": "2026-02-02", "end_date": "2026-02-01"},
                            headers=member.headers), 400, "BAD_REQUEST")
    assert_error(client.get("/cost/summary", params={"currency": "ZZZ"}, headers=member.headers), 400, "BAD_REQUEST")
    assert_error(client.get("/cost/comparison"), 401, "UNAUTHORIZED")


def test_another_member_sees_nothing_of_mine(client, fleet, make_account):
    other = make_account()
    body = client.get("/cost", headers=other.headers).json()
    assert body["breakdown"]["total"] == 0 and body["breakdown"]["byMachine"] == []
    assert body["freeTier"]["accounts"] == []
    assert fleet[3] not in [m["id"] for m in body["resourceUsage"]["machines"]]
