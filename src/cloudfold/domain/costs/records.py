"""Manual spending records (seed 001 `POST/GET /api/budget/spending`): kept apart from synced
and modelled ones (`source` manual, no dedupe key, so no sync ever replaces them), owned by
their maker, audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloudfold.db.models import Account, CostRecord, CostSync
from cloudfold.domain import accounts, audit, policy
from cloudfold.domain.context import Context, Principal
from cloudfold.domain.costs import money
from cloudfold.domain.costs.periods import Period
from cloudfold.errors import BadRequest

SOURCES = ("sync", "model", "manual")
MAX_LIST = 5000


@dataclass(frozen=True)
class ManualSpend:
    amount: Decimal | float | int | str
    day: date
    service: str
    currency: str = "USD"
    provider_ref: str | int | None = None  # an account's slug or id; None: not tied to an account
    description: str | None = None


def add(session: Session, ctx: Context, spend: ManualSpend) -> CostRecord:
    viewer = ctx.principal
    micros = money.to_micros(spend.amount)
    if micros < 0:
        raise BadRequest("amount must not be negative", detail={"field": "amount"})
    currency = money.currency(spend.currency)
    account = accounts.get(session, viewer, spend.provider_ref) if spend.provider_ref is not None else None
    row = CostRecord(account_id=account.id if account else None,
                     provider=account.provider_type if account else "manual", day=spend.day,
                     service=spend.service, source="manual", amount_micros=micros, currency=currency,
                     priced=True, owner_id=viewer.user_id if viewer else None, dedupe_key=None,
                     detail={"description": spend.description} if spend.description else {})
    session.add(row)
    session.flush()
    audit.record(session, ctx, "spending.record", target=f"cost_record:{row.id}",
                 detail={"amount_micros": micros, "currency": currency, "day": str(spend.day),
                         "service": spend.service, "account": account.slug if account else None})
    session.commit()
    return row


def listing(session: Session, viewer: Principal | None, period: Period, *, provider: str | None = None,
            source: str | None = None, limit: int = 500) -> list[tuple[CostRecord, str | None, bool]]:
    """Visible records of the period, newest first, each with its account's slug and whether
    that account's last spending sync failed (its records are the last ones it got)."""
    if source is not None and source not in SOURCES:
        raise BadRequest(f"Unknown source {source!r}", detail={"allowed": list(SOURCES)})
    if not 1 <= limit <= MAX_LIST:
        raise BadRequest(f"limit must be between 1 and {MAX_LIST}")
    stmt = policy.cost_records(select(CostRecord, Account.slug, CostSync.stale), viewer).outerjoin(
        Account, Account.id == CostRecord.account_id).outerjoin(
        CostSync, CostSync.account_id == CostRecord.account_id).where(
        CostRecord.day >= period.start, CostRecord.day <= period.end)
    if provider is not None:
        stmt = stmt.where(CostRecord.provider == provider)
    if source is not None:
        stmt = stmt.where(CostRecord.source == source)
    return [(row[0], row[1], bool(row[2])) for row in session.execute(stmt.order_by(CostRecord.day.desc(), CostRecord.id.desc())
                                                   .limit(limit))]


def account_slug(session: Session, row: CostRecord) -> str | None:
    return session.scalar(select(Account.slug).where(Account.id == row.account_id)) if row.account_id else None
