"""Seed 002 billing over HTTP: `/billing/costs` grouped three ways with the document's fields,
`/billing/summary`, bad input in the one error shape, and another member's spending unseen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from conftest import assert_error
from costs_support import cloud_account, principal, record

TODAY = datetime.now(UTC).date()
FIRST = TODAY.replace(day=1)
LAST_MONTH = FIRST - timedelta(days=1)


@pytest.fixture
def spending(client, member):
    me = principal(member)
    aws = cloud_account(client, "aws", me.user_id)
    azure = cloud_account(client, "azure", me.user_id)
    record(client, FIRST, 350.0, aws, "aws", "EC2")
    record(client, FIRST, 150.0, aws, "aws", "S3")
    record(client, TODAY, 80.0, aws, "aws", "VPC")
    record(client, FIRST, 300.0, azure, "azure", "Virtual Machines")
    record(client, LAST_MONTH, 200.0, aws, "aws", "EC2")
    return member


def test_costs_grouped_by_provider_have_the_documents_fields(client, spending):
    r = client.get("/billing/costs", params={"start_date": str(FIRST), "end_date": str(TODAY),
                                             "group_by": "provider"}, headers=spending.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total_cost"] == 880.0 and body["currency"] == "USD" and body["priced"] is True
    assert body["period"] == {"start": str(FIRST), "end": str(TODAY)}
    assert body["breakdown"] == [
        {"provider": "aws", "cost": 580.0, "services": [{"service": "EC2", "cost": 350.0},
                                                        {"service": "S3", "cost": 150.0},
                                                        {"service": "VPC", "cost": 80.0}]},
        {"provider": "azure", "cost": 300.0, "services": [{"service": "Virtual Machines", "cost": 300.0}]}]


def test_costs_grouped_by_service_and_by_day(client, spending):
    params = {"start_date": str(LAST_MONTH), "end_date": str(TODAY)}
    by_service = client.get("/billing/costs", params={**params, "group_by": "service"}, headers=spending.headers)
    assert by_service.status_code == 200, by_service.text
    assert {x["service"]: x["cost"] for x in by_service.json()["breakdown"]} == {
        "EC2": 550.0, "S3": 150.0, "VPC": 80.0, "Virtual Machines": 300.0}
    by_day = client.get("/billing/costs", params={**params, "group_by": "day"}, headers=spending.headers).json()
    assert by_day["total_cost"] == 1080.0
    days = {x["day"]: x["cost"] for x in by_day["breakdown"]}
    assert days[str(LAST_MONTH)] == 200.0
    assert sum(days.values()) == 1080.0


def test_summary_has_the_documents_fields(client, spending):
    body = client.get("/billing/summary", headers=spending.headers).json()
    assert body["current_month"]["period"] == FIRST.strftime("%Y-%m")
    assert body["current_month"]["total_cost"] == 880.0
    assert body["current_month"]["days_elapsed"] == TODAY.day
    assert body["current_month"]["projected_cost"] >= 880.0
    assert body["last_month"] == {"period": LAST_MONTH.strftime("%Y-%m"), "total_cost": 200.0}
    assert body["change"] == {"absolute": 680.0, "percentage": 340.0}


def test_cost_summary_and_billing_summary_show_the_same_numbers(client, spending):
    billing = client.get("/billing/summary", headers=spending.headers).json()
    cost = client.get("/cost/summary", headers=spending.headers).json()
    assert cost["thisMonth"]["total"] == billing["current_month"]["total_cost"] == 880.0
    assert cost["projectedMonthEnd"]["total"] == billing["current_month"]["projected_cost"]
    assert cost["lastMonth"]["total"] == billing["last_month"]["total_cost"]


@pytest.mark.parametrize("params, status", [
    ({"start_date": "2026-03-10", "end_date": "2026-03-01"}, 400),  # wrong order
    ({"start_date": "2024-01-01", "end_date": "2026-01-01"}, 400),  # longer than a year
    ({"group_by": "region"}, 400),  # unknown group_by
    ({"start_date": "yesterday"}, 400),  # not a date
    ({"currency": "XXX"}, 400),  # unknown currency
])
def test_bad_queries_answer_the_one_error_shape(client, spending, params, status):
    r = client.get("/billing/costs", params=params, headers=spending.headers)
    assert_error(r, status, "BAD_REQUEST")


def test_another_member_sees_none_of_it(client, spending, make_account):
    other = make_account()
    body = client.get("/billing/costs", params={"start_date": str(LAST_MONTH), "end_date": str(TODAY)},
                      headers=other.headers).json()
    assert body["total_cost"] == 0 and body["breakdown"] == []
    summary = client.get("/billing/summary", headers=other.headers).json()
    assert summary["current_month"]["total_cost"] == 0 and summary["change"]["percentage"] is None


def test_needs_a_credential(client):
    assert_error(client.get("/billing/costs"), 401, "UNAUTHORIZED")
