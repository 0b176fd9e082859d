"""The audit log: every change and every refused request is recorded here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from cloudfold.db.models import AuditEvent
from cloudfold.domain import policy
from cloudfold.domain.context import Context, Principal
from cloudfold.errors import CloudfoldError, status_of
from cloudfold.security.redact import redact, redact_value

SUCCESS, FAILED, BLOCKED = "success", "failed", "blocked"


def storable(value: Any) -> Any:
    """``value`` with every NUL character in its strings replaced by U+FFFD: PostgreSQL's text
    and JSON columns take no NUL, and a refused request that carried one (a login name, a
    path) is still recorded, as it was sent, less that character."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {storable(k): storable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [storable(v) for v in value]
    return value


def record(
    session: Session,
    ctx: Context,
    action: str,
    *,
    target: str | None = None,
    result: str = SUCCESS,
    status_code: int | None = None,
    detail: dict[str, Any] | None = None,
    actor: str | None = None,
    refused: CloudfoldError | type[CloudfoldError] | None = None,
) -> AuditEvent:
    """Add an audit event to the session; it commits with the change it describes.
    Secrets (keys, JWTs) in the target or detail are redacted before they are stored.
    ``refused``: the error the request is answered with (its status is recorded)."""
    if refused is not None:
        status_code = status_of(refused)
    event = AuditEvent(
        actor_user_id=ctx.actor_user_id,
        actor=storable(actor or ctx.actor),
        actor_ip=ctx.ip,
        action=action,
        target=storable(redact(target)) if target else target,
        result=result,
        status_code=status_code,
        request_id=ctx.request_id,
        detail=storable(redact_value(detail)) if detail else detail,
    )
    session.add(event)
    return event


def _visible(stmt, viewer: Principal):
    return policy.audit_events(stmt, viewer)


def recent(
    session: Session,
    viewer: Principal,
    *,
    limit: int = 50,
    offset: int = 0,
    result: str | None = None,
    action: str | None = None,
    actor: str | None = None,
    target: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> tuple[list[AuditEvent], int]:
    """The viewer's events, newest first: ``action`` and ``result`` match exactly, ``actor`` and
    ``target`` are parts of theirs, ``since``/``until`` bound the time (inclusive, exclusive)."""
    stmt = _visible(select(AuditEvent), viewer)
    if result:
        stmt = stmt.where(AuditEvent.result == result)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    if actor:
        stmt = stmt.where(AuditEvent.actor.contains(actor, autoescape=True))
    if target:
        stmt = stmt.where(AuditEvent.target.contains(target, autoescape=True))
    if since:
        stmt = stmt.where(AuditEvent.time >= since)
    if until:
        stmt = stmt.where(AuditEvent.time < until)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(
        stmt.order_by(AuditEvent.time.desc(), AuditEvent.id.desc()).offset(offset).limit(limit)
    ).all()
    return list(rows), total


@dataclass
class AuditMetrics:
    total_events: int
    success: int
    failed: int
    blocked: int

    @property
    def success_rate(self) -> float:
        return round(100.0 * self.success / self.total_events, 2) if self.total_events else 100.0


def shown_detail(event: AuditEvent) -> dict[str, Any] | None:
    """The event's detail; a sampled row (anonymous refusals) adds how many it stands for."""
    if event.count is None:
        return event.detail
    return {**(event.detail or {}), "count": event.count}


def metrics(session: Session, viewer: Principal) -> tuple[AuditMetrics, list[tuple[str, int]]]:
    weight = func.coalesce(AuditEvent.count, 1)  # a sampled row counts every refusal it stands for
    counts = select(
        func.sum(weight),
        func.sum(case((AuditEvent.result == SUCCESS, weight), else_=0)),
        func.sum(case((AuditEvent.result == FAILED, weight), else_=0)),
        func.sum(case((AuditEvent.result == BLOCKED, weight), else_=0)),
    )
    total, ok, failed, blocked = session.execute(_visible(counts, viewer)).one()
    by_action = session.execute(
        _visible(select(AuditEvent.action, func.sum(weight)), viewer)
        .group_by(AuditEvent.action)
        .order_by(func.sum(weight).desc())
        .limit(20)
    ).all()
    return (
        AuditMetrics(int(total or 0), int(ok or 0), int(failed or 0), int(blocked or 0)),
        [(a, int(n)) for a, n in by_action],
    )
