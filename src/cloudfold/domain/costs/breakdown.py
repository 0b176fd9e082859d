"""Spending over a period grouped by provider (with its services), service or day: the
answer of seed 002 `/billing/costs` and seed 000 `/cost/breakdown`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloudfold.db.models import Resource
from cloudfold.domain import policy
from cloudfold.domain.context import Principal
from cloudfold.domain.costs import aggregate
from cloudfold.domain.costs.aggregate import Spend
from cloudfold.domain.costs.periods import Period
from cloudfold.errors import BadRequest

GROUP_BY = ("provider", "service", "day")


@dataclass
class Line:
    key: str | int | date | None
    spend: Spend
    parts: list[Line] = field(default_factory=list)  # a provider's services
    name: str | None = None  # a machine's name


@dataclass(frozen=True)
class Breakdown:
    period: Period
    total: Spend
    group_by: str
    lines: list[Line]


def check_group_by(group_by: str | None) -> str:
    value = group_by or "provider"
    if value not in GROUP_BY:
        raise BadRequest(f"Unknown group_by {group_by!r}", detail={"allowed": list(GROUP_BY)})
    return value


def _merge(spends: list[Spend], currency: str) -> Spend:
    return Spend(sum(s.amount_micros for s in spends), currency, all(s.priced for s in spends),
                 sum(s.records for s in spends))


def costs(session: Session, viewer: Principal | None, period: Period, group_by: str | None,
          currency: str = "USD") -> Breakdown:
    by = check_group_by(group_by)
    window = {"start": period.start, "end": period.end, "currency": currency}
    if by != "provider":
        groups = aggregate.grouped(session, viewer, by=[by], **window)
        lines = [Line(g.key[0], g.spend) for g in groups]
    else:
        lines = []
        for g in aggregate.grouped(session, viewer, by=["provider", "service"], **window):
            if not lines or lines[-1].key != g.key[0]:
                lines.append(Line(g.key[0], Spend(0, currency, True, 0)))
            lines[-1].parts.append(Line(g.key[1], g.spend))
        for line in lines:
            line.spend = _merge([p.spend for p in line.parts], currency)
    return Breakdown(period, _merge([line.spend for line in lines], currency), by, lines)


def by_machine(session: Session, viewer: Principal | None, period: Period, currency: str = "USD") -> list[Line]:
    """Spending per machine (records that name one), with the machine's name."""
    groups = aggregate.grouped(session, viewer, by=["resource"], start=period.start, end=period.end,
                               currency=currency)
    ids = [g.key[0] for g in groups if g.key[0] is not None]
    names = dict(session.execute(policy.resources(select(Resource.id, Resource.name), viewer)
                                 .where(Resource.id.in_(ids))).all()) if ids else {}
    return [Line(g.key[0], g.spend, name=names.get(g.key[0])) for g in groups if g.key[0] is not None]
