"""Seed 001 spending record shapes (`/api/budget/spending`)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, Field

from cloudfold.db.models import CostRecord
from cloudfold.domain.costs.money import units


class SpendingIn(BaseModel):
    amount: Decimal = Field(..., description="Amount in currency units, e.g. 12.34 (not negative)")
    date: date
    service: str = Field("manual", min_length=1, max_length=128)
    currency: str = Field("USD", max_length=3)
    provider_id: str | None = Field(None, max_length=100, description="The provider account (slug or id) it belongs to")
    description: str | None = Field(None, max_length=500)


class SpendingOut(BaseModel):
    id: int
    provider: str
    provider_id: str | None
    resource_id: int | None
    service: str
    date: date
    amount: float
    currency: str
    source: str  # sync | model | manual
    priced: bool
    stale: bool  # a synced record whose last sync failed (kept as last seen)
    description: str | None
    detail: dict
    created_at: datetime


def spending(row: CostRecord, slug: str | None, stale: bool = False) -> SpendingOut:
    detail = dict(row.detail or {})
    return SpendingOut(id=row.id, provider=row.provider, provider_id=slug, resource_id=row.resource_id,
                       service=row.service, date=row.day, amount=units(row.amount_micros, 6), currency=row.currency,
                       source=row.source, priced=row.priced, stale=stale and row.source != "manual",
                       description=detail.pop("description", None), detail=detail, created_at=row.created_at)


class SyncOut(BaseModel):
    message: str
    task_id: str
