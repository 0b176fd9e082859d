"""Cost records: what was spent, per day and service, on which account (and machine, when the
provider says), from where. The one store every cost face reads (seed 000 cost, seed 002
billing, seed 001 budget spending) and budgets measure against.

Amounts are integer millionths of the currency unit (`amount_micros`), so sums are exact; a
record names its currency and totals never mix currencies. `source` says where it came from:
`sync` (a provider's billing API, e.g. AWS Cost Explorer), `model` (cloudfold's cost model:
unit prices applied to what ran), `manual` (POST /api/budget/spending). Synced and modelled
records carry a `dedupe_key` (account, day, service, source, machine), so syncing a period
again replaces them rather than adding; manual records have none and no sync touches them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from cloudfold.db.base import NEVER_REUSE_IDS, Base, UTCDateTime, utcnow

SOURCES = ("sync", "model", "manual")


class CostRecord(Base):
    __tablename__ = "cost_records"
    __table_args__ = (
        Index("ix_cost_records_day_account", "day", "account_id"),
        Index("ix_cost_records_account_day", "account_id", "day"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), nullable=True)
    resource_id: Mapped[int | None] = mapped_column(ForeignKey("resources.id", ondelete="SET NULL"), nullable=True,
                                                    index=True)
    provider: Mapped[str] = mapped_column(String(32))  # the provider type (aws, local, proxmox, …)
    day: Mapped[date] = mapped_column(Date)
    service: Mapped[str] = mapped_column(String(128))  # e.g. "Amazon Elastic Compute Cloud - Compute", "compute"
    source: Mapped[str] = mapped_column(String(16))  # sync | model | manual
    amount_micros: Mapped[int] = mapped_column(BigInteger)  # millionths of `currency`
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    priced: Mapped[bool] = mapped_column(Boolean, default=True)  # False: no known price (amount 0 means unknown)
    owner_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)  # a manual record's maker
    dedupe_key: Mapped[str | None] = mapped_column(String(255), nullable=True, unique=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # usage quantities, unit prices, note
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
