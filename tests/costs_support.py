"""Helpers for the cost tests: accounts, machines and cost records written straight to the
database (the state a sync or a user would have left), and the principal of a test user."""

from __future__ import annotations

import uuid
from datetime import date

from helpers_api import db, me

from cloudfold.db.models import Account as CloudAccount
from cloudfold.db.models import CostRecord, Resource
from cloudfold.domain.context import Principal


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
