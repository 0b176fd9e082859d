"""Helpers of the budget tests: spending rows written straight into `cost_records` (the cost
core's sync is another package), rules made through the API."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from cloudfold.db.models import Account, CostRecord, User
from helpers_api import db


def user_id(account) -> int:
    with db(account.client) as session:
        return session.scalar(select(User.id).where(User.email == account.email))


def account_id(client, slug: str) -> int:
    with db(client) as session:
        return session.scalar(select(Account.id).where(Account.slug == slug))


def add_cost(client, amount: float, *, day: date, owner_id: int | None = None, account_id: int | None = None,
             resource_id: int | None = None, provider: str = "local", currency: str = "USD",
             service: str = "compute", priced: bool = True) -> None:
    with db(client) as session:
        session.add(CostRecord(account_id=account_id, resource_id=resource_id, provider=provider, day=day,
                               service=service, source="manual" if account_id is None else "model",
                               amount_micros=round(amount * 1_000_000), currency=currency, priced=priced,
                               owner_id=owner_id, detail={}))


def make_rule(account, expect: int = 201, **fields) -> dict:
    body = {"name": "monthly", "amount": 100, **fields}
    r = account.client.post("/api/budget/rules", json=body, headers=account.headers)
    assert r.status_code == expect, r.text
    return r.json()


def status_of(account, rule_id: int) -> dict:
    r = account.client.get("/api/budget/status", params={"rule_id": rule_id}, headers=account.headers)
    assert r.status_code == 200, r.text
    return r.json()["budgets"][0]
