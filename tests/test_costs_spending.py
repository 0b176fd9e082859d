"""Seed 001 spending over HTTP: manual records are recorded, audited, listed with synced ones,
counted by the one aggregation, refused on bad input, and private to their maker."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from conftest import assert_error
from costs_support import cloud_account, principal, record
from helpers_api import audit_page

TODAY = datetime.now(UTC).date()


def post(account, **body):
    return account.client.post("/api/budget/spending", json={"date": str(TODAY), **body}, headers=account.headers)


def test_a_manual_record_is_kept_audited_and_counted(client, member):
    me = principal(member)
    slug = client.get(f"/api/providers/{cloud_account(client, 'aws', me.user_id)}", headers=member.headers).json()["id"]
    record(client, TODAY, 5.0, None, source="sync")  # nobody's account: not the member's
    r = post(member, amount="12.345678", service="Hetzner box", provider_id=slug, description="invoice 42")
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["amount"] == 12.345678 and made["source"] == "manual" and made["provider_id"] == slug
    assert made["provider"] == "aws" and made["description"] == "invoice 42" and made["priced"] is True
    listed = client.get("/api/budget/spending", headers=member.headers).json()
    assert [x["id"] for x in listed] == [made["id"]]
    assert client.get("/billing/costs", params={"group_by": "service"},
                      headers=member.headers).json()["breakdown"] == [{"service": "Hetzner box", "cost": 12.35}]
    events = audit_page(client, member.headers, action="spending.record")["events"]
    assert events and events[0]["target"] == f"cost_record:{made['id']}"


def test_list_filters_by_source_and_provider(client, member):
    me = principal(member)
    aws = cloud_account(client, "aws", me.user_id)
    record(client, TODAY, 3.0, aws, source="sync")
    assert post(member, amount=1).status_code == 201
    by_source = client.get("/api/budget/spending", params={"source": "sync"}, headers=member.headers).json()
    assert [x["amount"] for x in by_source] == [3.0]
    manual = client.get("/api/budget/spending", params={"provider": "manual"}, headers=member.headers).json()
    assert [x["amount"] for x in manual] == [1.0]


@pytest.mark.parametrize("body, status, code", [
    ({"amount": -1}, 400, "BAD_REQUEST"),
    ({"amount": 1, "currency": "ZZZ"}, 400, "BAD_REQUEST"),
    ({"amount": "lots"}, 422, "BAD_REQUEST"),
    ({"service": "x"}, 422, "BAD_REQUEST"),  # no amount
    ({"amount": 1, "date": "not-a-date"}, 422, "BAD_REQUEST"),
    ({"amount": 1, "provider_id": "no-such-account"}, 404, "NOT_FOUND"),
])
def test_bad_records_are_refused_and_change_nothing(client, member, body, status, code):
    r = member.client.post("/api/budget/spending", json={"date": str(TODAY), **body}, headers=member.headers)
    assert_error(r, status, code)
    assert client.get("/api/budget/spending", headers=member.headers).json() == []


def test_bad_list_queries(client, member):
    assert_error(client.get("/api/budget/spending", params={"source": "guess"}, headers=member.headers),
                 400, "BAD_REQUEST")
    assert_error(client.get("/api/budget/spending", params={"limit": 0}, headers=member.headers), 400, "BAD_REQUEST")


def test_another_member_neither_sees_nor_books_on_my_account(client, member, make_account):
    me = principal(member)
    aws = cloud_account(client, "aws", me.user_id)
    slug = client.get(f"/api/providers/{aws}", headers=member.headers).json()["id"]
    assert post(member, amount=9).status_code == 201
    record(client, TODAY, 4.0, aws)
    other = make_account()
    assert client.get("/api/budget/spending", headers=other.headers).json() == []
    assert_error(post(other, amount=1, provider_id=slug), 404, "NOT_FOUND")
    assert client.get("/billing/summary", headers=other.headers).json()["current_month"]["total_cost"] == 0
    admin_view = client.get("/api/budget/spending", headers=make_account("admin").headers).json()
    assert sorted(x["amount"] for x in admin_view) == [4.0, 9.0]


def test_reading_needs_a_credential_and_writing_the_write_scope(client, member):
    assert_error(client.get("/api/budget/spending"), 401, "UNAUTHORIZED")
    key = client.post("/auth/keys", json={"name": "ro", "scopes": ["read"]}, headers=member.headers)
    assert key.status_code == 201, key.text
    r = client.post("/api/budget/spending", json={"date": str(TODAY), "amount": 1},
                    headers={"X-API-Key": key.json()["key"]})
    assert_error(r, 403, "FORBIDDEN")
