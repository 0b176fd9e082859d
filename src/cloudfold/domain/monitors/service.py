"""Monitors: create, read, change and delete (owned, audited, quota-counted, egress-checked),
their check history and uptime."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, delete, func, select
from sqlalchemy.orm import Session

from cloudfold.db.base import as_record_id, utcnow
from cloudfold.db.models import Monitor, MonitorCheck
from cloudfold.domain import audit, egress, policy, quotas
from cloudfold.domain.context import Context, Principal
from cloudfold.domain.inputs.checks import check_plain_text
from cloudfold.domain.monitors import specs
from cloudfold.domain.monitors.ownership import visible
from cloudfold.errors import BadRequest, Conflict, NotFound
from cloudfold.settings import Settings

WINDOWS = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}
MAX_INTERVAL = 86_400
CHANGEABLE = ("name", "target", "config", "interval_seconds", "timeout_seconds", "retries", "enabled")
AUTO_CHANGEABLE = ("interval_seconds", "timeout_seconds", "retries", "enabled")  # the inventory owns the rest


def _int(value: Any, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise BadRequest(f"{name} must be an integer from {low} to {high}")
    return value


def _timing(settings: Settings, interval: Any, timeout: Any, retries: Any) -> tuple[int, float, int]:
    interval = _int(interval, "interval_seconds", settings.monitor_min_interval_seconds, MAX_INTERVAL)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0.5 <= timeout <= 60:
        raise BadRequest("timeout_seconds must be a number from 0.5 to 60")
    if timeout > interval:
        raise BadRequest("timeout_seconds must not exceed interval_seconds")
    return interval, float(timeout), _int(retries, "retries", 0, 10)


def _name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 200:
        raise BadRequest("name must be a non-empty string of at most 200 characters")
    try:
        return check_plain_text(value.strip())
    except ValueError as exc:
        raise BadRequest(f"name {exc}") from None


def first_due(settings: Settings, interval: int) -> datetime:
    """A new monitor's first check: soon, spread so that many made at once do not fire together."""
    return utcnow() + timedelta(seconds=random.uniform(0, min(settings.monitor_jitter_seconds, interval)))


def trusted(session: Session, monitor: Monitor, viewer: Principal | None = None) -> bool:
    """Whose connection this is for the egress rule: an admin's, or a monitor of nobody or an admin."""
    return (viewer is not None and viewer.is_admin) or egress.owner_trusted(session, monitor.owner_id)


def create(session: Session, ctx: Context, settings: Settings, fields: dict[str, Any]) -> Monitor:
    p = ctx.principal
    kind = fields.get("kind")
    target, config = specs.check(kind, fields.get("target"), fields.get("config"),
                                 trusted=p.is_admin, settings=settings)
    name = _name(fields.get("name") or target)
    interval, timeout, retries = _timing(settings, fields.get("interval_seconds", 60),
                                         fields.get("timeout_seconds", 10), fields.get("retries", 1))
    enabled = fields.get("enabled", True)
    if not isinstance(enabled, bool):
        raise BadRequest("enabled must be true or false")
    quotas.claim(session, settings, p, {"monitors": 1})
    monitor = Monitor(owner_id=p.user_id, kind=kind, name=name, target=target, config=config,
                      interval_seconds=interval, timeout_seconds=timeout, retries=retries, enabled=enabled,
                      state="pending", failures=0, next_due_at=first_due(settings, interval))
    session.add(monitor)
    session.flush()
    audit.record(session, ctx, "monitor.create", target=f"monitor:{monitor.id}",
                 detail={"kind": kind, "name": name, "target": target})
    session.commit()
    return monitor


def get(session: Session, viewer: Principal, ref: str | int, verb: str = policy.SEE) -> Monitor:
    number = as_record_id(ref)
    monitor = session.get(Monitor, number) if number is not None else None
    if monitor is None or not policy.may(viewer, policy.SEE, monitor):
        raise NotFound("Monitor not found")
    policy.check(viewer, verb, monitor, "Monitor")
    return monitor


def listing(session: Session, viewer: Principal, *, kind: str | None = None, state: str | None = None,
            auto: bool | None = None, limit: int = 100, offset: int = 0) -> tuple[list[Monitor], int]:
    if kind is not None and kind not in specs.KINDS:
        raise BadRequest(f"kind must be one of {', '.join(specs.KINDS)}")
    if state is not None and state not in ("pending", "up", "down"):
        raise BadRequest("state must be pending, up or down")
    stmt = visible(select(Monitor), viewer)
    if kind:
        stmt = stmt.where(Monitor.kind == kind)
    if state:
        stmt = stmt.where(Monitor.state == state)
    if auto is not None:
        stmt = stmt.where(Monitor.resource_id.is_not(None) if auto else Monitor.resource_id.is_(None))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(Monitor.id).limit(limit).offset(offset)).unique().all()
    return list(rows), total


def update(session: Session, ctx: Context, settings: Settings, ref: str, changes: dict[str, Any]) -> Monitor:
    monitor = get(session, ctx.principal, ref, policy.CHANGE)
    unknown = set(changes) - set(CHANGEABLE)
    if unknown:
        raise BadRequest(f"cannot change {', '.join(sorted(unknown))}")
    if monitor.auto and set(changes) - set(AUTO_CHANGEABLE):
        raise BadRequest(f"an auto monitor follows its machine: only {', '.join(AUTO_CHANGEABLE)} can change")
    if "target" in changes or "config" in changes:
        target, config = specs.check(monitor.kind, changes.get("target", monitor.target),
                                     changes.get("config", monitor.config),
                                     trusted=trusted(session, monitor, ctx.principal), settings=settings)
        monitor.target, monitor.config = target, config
    if "name" in changes:
        monitor.name = _name(changes["name"])
    interval, timeout, retries = _timing(settings, changes.get("interval_seconds", monitor.interval_seconds),
                                         changes.get("timeout_seconds", monitor.timeout_seconds),
                                         changes.get("retries", monitor.retries))
    monitor.interval_seconds, monitor.timeout_seconds, monitor.retries = interval, timeout, retries
    if "enabled" in changes:
        if not isinstance(changes["enabled"], bool):
            raise BadRequest("enabled must be true or false")
        monitor.enabled = changes["enabled"]
    if {"target", "config", "enabled", "interval_seconds"} & set(changes):
        monitor.next_due_at = first_due(settings, interval)
        monitor.state, monitor.failures = ("pending", 0) if "target" in changes or "config" in changes else (
            monitor.state, monitor.failures)
    audit.record(session, ctx, "monitor.update", target=f"monitor:{monitor.id}", detail={"fields": sorted(changes)})
    session.commit()
    return monitor


def remove(session: Session, ctx: Context, ref: str) -> None:
    monitor = get(session, ctx.principal, ref, policy.DELETE)
    if monitor.auto:
        raise Conflict("an auto monitor goes when its machine goes; disable it instead")
    session.delete(monitor)
    audit.record(session, ctx, "monitor.delete", target=f"monitor:{monitor.id}", detail={"name": monitor.name})
    session.commit()


def checks(session: Session, viewer: Principal, ref: str, *, limit: int = 100,
           before: datetime | None = None) -> list[MonitorCheck]:
    monitor = get(session, viewer, ref)
    stmt = select(MonitorCheck).where(MonitorCheck.monitor_id == monitor.id)
    if before is not None:
        stmt = stmt.where(MonitorCheck.time < before)
    return list(session.scalars(stmt.order_by(MonitorCheck.time.desc(), MonitorCheck.id.desc()).limit(limit)))


@dataclass(frozen=True)
class Uptime:
    percent: float | None  # None: no check in the window
    checks: int
    avg_latency_ms: float | None


def uptime(session: Session, monitor_ids: list[int]) -> dict[int, dict[str, Uptime]]:
    """Share of good checks per window, for each monitor (one grouped query per window)."""
    now = utcnow()
    out: dict[int, dict[str, Uptime]] = {i: {} for i in monitor_ids}
    if not monitor_ids:
        return out
    for label, span in WINDOWS.items():
        rows = session.execute(
            select(MonitorCheck.monitor_id, func.count(), func.sum(case((MonitorCheck.ok, 1), else_=0)),
                   func.avg(MonitorCheck.latency_ms))
            .where(and_(MonitorCheck.monitor_id.in_(monitor_ids), MonitorCheck.time >= now - span))
            .group_by(MonitorCheck.monitor_id)).all()
        seen = {r[0]: r for r in rows}
        for i in monitor_ids:
            _, n, good, avg = seen.get(i, (i, 0, 0, None))
            out[i][label] = Uptime(round(100.0 * (good or 0) / n, 3) if n else None, n,
                                   round(float(avg), 3) if avg is not None else None)
    return out


def prune(session: Session, settings: Settings) -> int:
    """Drop check history older than `monitor_history_days`."""
    cutoff = utcnow() - timedelta(days=settings.monitor_history_days)
    removed = session.execute(delete(MonitorCheck).where(MonitorCheck.time < cutoff)).rowcount
    session.commit()
    return removed or 0
