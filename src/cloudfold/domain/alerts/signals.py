"""Signal sources: what each rule kind observes. A source is registered with

    @signal("kind", Param("threshold", ...), targets=("resource",))
    def source(session, rule, now) -> list[Observation]

and answers one observation per target its rule's owner may see: ``ok`` True (good), False
(failing) or None (unknown now: the hysteresis counters stay as they are). A target that is not
observed any more (deleted, vanished) counts as good, so its alert resolves.

Sources read tables only, never a provider: the inventory (`resources`, `accounts`) kept by
syncs and reads, the monitors' last results (`monitors`, seen through the monitors' own
visibility rule) and the metric history's raw samples (`metric_samples`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.orm import Session

from cloudfold.db.models import (
    Account,
    AlertRule,
    MetricSample,
    Monitor,
    Resource,
    User,
)
from cloudfold.domain import policy, users
from cloudfold.domain.context import Principal
from cloudfold.domain.monitors import ownership as monitor_ownership
from cloudfold.errors import BadRequest

MACHINES = ("container", "vm", "instance")
NOT_RUNNING = ("stopped", "paused", "error", "exited", "suspended")  # transitional states are unknown


@dataclass(frozen=True)
class Observation:
    target_key: str  # "resource:12", "monitor:3", "account:2": one alert per rule + key
    name: str
    ok: bool | None
    value: float | None = None
    detail: str = ""
    resource_id: int | None = None
    monitor_id: int | None = None
    account_id: int | None = None
    memo: dict[str, Any] | None = None  # kept for the next evaluation of this target (None: keep)


@dataclass(frozen=True)
class Param:
    name: str
    low: float
    high: float
    default: float | None = None  # None: required
    integer: bool = False
    description: str = ""


Source = Callable[[Session, AlertRule, datetime, dict[str, Any]], list[Observation]]


@dataclass(frozen=True)
class Signal:
    kind: str
    params: tuple[Param, ...]
    targets: tuple[str, ...]  # which of resource_id / monitor_id / account_id a rule may name
    source: Source
    description: str = ""


SIGNALS: dict[str, Signal] = {}


def signal(kind: str, *params: Param, targets: tuple[str, ...], description: str) -> Callable[[Source], Source]:
    def register(fn: Source) -> Source:
        SIGNALS[kind] = Signal(kind, params, targets, fn, description)
        return fn

    return register


def get(kind: Any) -> Signal:
    if not isinstance(kind, str) or kind not in SIGNALS:
        raise BadRequest(f"kind must be one of: {', '.join(sorted(SIGNALS))}")
    return SIGNALS[kind]


def check_params(sig: Signal, given: Any) -> dict[str, Any]:
    """The rule's parameters, defaults filled in; 400 for unknown names, wrong types, out of range."""
    given = {} if given is None else given
    if not isinstance(given, dict):
        raise BadRequest("params must be an object")
    known = {p.name: p for p in sig.params}
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise BadRequest(f"params: unknown for {sig.kind}: {', '.join(unknown)}"
                         + (f" (takes {', '.join(known)})" if known else " (takes none)"))
    out: dict[str, Any] = {}
    for p in sig.params:
        value = given.get(p.name, p.default)
        if value is None:
            raise BadRequest(f"params.{p.name} is required for {sig.kind}")
        if isinstance(value, bool) or not isinstance(value, int | float) or (p.integer and value != int(value)):
            raise BadRequest(f"params.{p.name} must be {'an integer' if p.integer else 'a number'}")
        if not p.low <= value <= p.high:
            raise BadRequest(f"params.{p.name} must be from {p.low:g} to {p.high:g}")
        out[p.name] = int(value) if p.integer else float(value)
    return out


def observe(session: Session, rule: AlertRule, now: datetime, memos: dict[str, dict[str, Any]]
            ) -> list[Observation] | None:
    """The rule's observations now (``memos``: what each target's last run kept), or None
    when its owner is gone or disabled (nothing is known then)."""
    owner = session.get(User, rule.owner_id)
    if owner is None or not owner.is_active:
        return None
    return SIGNALS[rule.kind].source(session, rule, now, {"viewer": users.principal_for(owner), "memos": memos})


# -- the inventory ----------------------------------------------------------------------------------


def _machines(session: Session, rule: AlertRule, viewer: Principal) -> list[Resource]:
    stmt = select(Resource).where(Resource.kind.in_(MACHINES), Resource.vanished.is_(False))
    if rule.resource_id is not None:
        stmt = stmt.where(Resource.id == rule.resource_id)
    if rule.account_id is not None:
        stmt = stmt.where(Resource.account_id == rule.account_id)
    return list(session.scalars(policy.resources(stmt, viewer).order_by(Resource.id)))


def _machine(r: Resource, ok: bool | None, detail: str, **extra: Any) -> Observation:
    return Observation(f"resource:{r.id}", r.name, ok, detail=detail, resource_id=r.id, **extra)


@signal("not_running", targets=("resource_id", "account_id"),
        description="a container, VM or instance is not running (stopped, paused, failed)")
def _not_running(session: Session, rule: AlertRule, now: datetime, env: dict[str, Any]) -> list[Observation]:
    out = []
    for r in _machines(session, rule, env["viewer"]):
        ok = True if r.status == "running" else False if r.status in NOT_RUNNING else None
        out.append(_machine(r, ok, f"{r.kind} {r.name} is {r.status}"))
    return out


@signal("container_restarting", targets=("resource_id", "account_id"),
        description="a container's restart count went up since the last evaluation")
def _restarting(session: Session, rule: AlertRule, now: datetime, env: dict[str, Any]) -> list[Observation]:
    out = []
    for r in _machines(session, rule, env["viewer"]):
        count = (r.meta or {}).get("restart_count")
        if not isinstance(count, int):
            continue
        before = env["memos"].get(f"resource:{r.id}", {}).get("restarts")
        ok = True if before is None else count <= before
        out.append(_machine(r, ok, f"{r.kind} {r.name} restarted ({count} restart(s) in all)", value=float(count),
                            memo={"restarts": count}))
    return out


@signal("sync_failing", Param("failures", 1, 1000, 1, integer=True, description="consecutive failed syncs"),
        targets=("account_id",), description="a cloud account's sync keeps failing")
def _sync_failing(session: Session, rule: AlertRule, now: datetime, env: dict[str, Any]) -> list[Observation]:
    stmt = select(Account)
    if rule.account_id is not None:
        stmt = stmt.where(Account.id == rule.account_id)
    out = []
    for a in session.scalars(policy.accounts(stmt, env["viewer"]).order_by(Account.id)):
        failures = a.sync_failures or 0
        out.append(Observation(f"account:{a.id}", a.slug, failures < rule.params["failures"], value=float(failures),
                               detail=f"account {a.slug}: {failures} failed sync(s) in a row", account_id=a.id))
    return out


# -- the monitors' last results and the metric history's samples ---------------------------------

def _visible_ids(viewer: Principal):
    return policy.resources(select(Resource.id), viewer)


def _monitors(session: Session, rule: AlertRule, viewer: Principal) -> list[Monitor]:
    stmt = monitor_ownership.visible(select(Monitor).where(Monitor.enabled.is_(True)), viewer)
    if rule.monitor_id is not None:
        stmt = stmt.where(Monitor.id == rule.monitor_id)
    if rule.resource_id is not None:
        stmt = stmt.where(Monitor.resource_id == rule.resource_id)
    return list(session.scalars(stmt.order_by(Monitor.id)))


def _monitor(row: Any, ok: bool | None, detail: str, value: float | None = None) -> Observation:
    return Observation(f"monitor:{row.id}", row.name or row.target, ok, value=value, detail=detail,
                       monitor_id=row.id, resource_id=row.resource_id)


@signal("target_down", targets=("monitor_id", "resource_id"),
        description="a monitor's target is down (after the monitor's own retries)")
def _target_down(session: Session, rule: AlertRule, now: datetime, env: dict[str, Any]) -> list[Observation]:
    return [_monitor(row, None if row.state not in ("up", "down") else row.state == "up",
                     f"{row.name or row.target} is {row.state}") for row in _monitors(session, rule, env["viewer"])]


@signal("latency_above", Param("threshold_ms", 1, 600_000, description="milliseconds"),
        targets=("monitor_id", "resource_id"),
        description="a monitor's last latency is above threshold_ms")
def _latency(session: Session, rule: AlertRule, now: datetime, env: dict[str, Any]) -> list[Observation]:
    limit = rule.params["threshold_ms"]
    return [_monitor(row, None if row.last_latency_ms is None else row.last_latency_ms <= limit,
                     f"{row.name or row.target}: {row.last_latency_ms or 0:.0f} ms (limit {limit:g} ms)",
                     row.last_latency_ms) for row in _monitors(session, rule, env["viewer"])]


@signal("cert_expiring", Param("days", 1, 365, 14, integer=True, description="days before expiry"),
        targets=("monitor_id", "resource_id"),
        description="a monitored certificate expires within `days`")
def _cert(session: Session, rule: AlertRule, now: datetime, env: dict[str, Any]) -> list[Observation]:
    out = []
    for row in _monitors(session, rule, env["viewer"]):
        if row.cert_expires_at is None:
            continue
        left = (row.cert_expires_at - now).total_seconds() / 86400
        out.append(_monitor(row, left > rule.params["days"],
                            f"{row.name or row.target}: certificate expires in {left:.1f} day(s)", round(left, 2)))
    return out


def _sustained(column: str) -> Source:
    def source(session: Session, rule: AlertRule, now: datetime, env: dict[str, Any]) -> list[Observation]:
        c = MetricSample
        value, minutes = getattr(c, column), rule.params["minutes"]
        stmt = (select(c.resource_id, sa.func.min(value), sa.func.avg(value), sa.func.min(c.time))
                .where(c.time >= now - timedelta(minutes=minutes), value.is_not(None),
                       c.resource_id.in_(_visible_ids(env["viewer"])))
                .group_by(c.resource_id))
        if rule.resource_id is not None:
            stmt = stmt.where(c.resource_id == rule.resource_id)
        rows = session.execute(stmt).all()
        names = dict(session.execute(select(Resource.id, Resource.name).where(Resource.id.in_([r[0] for r in rows]))).all())
        limit, out = rule.params["threshold"], []
        # "for Y minutes": every sample of the window above the limit, and the window covered
        covered = now - timedelta(minutes=minutes) + timedelta(seconds=min(60, minutes * 30))
        for resource_id, low, mean, first in rows:
            failing = low > limit and first <= covered
            label = "CPU" if column == "cpu_percent" else "memory"
            out.append(Observation(f"resource:{resource_id}", names.get(resource_id, str(resource_id)),
                                   not failing, value=round(mean, 2), resource_id=resource_id,
                                   detail=f"{label} {mean:.1f}% on average over {minutes} min (limit {limit:g}%)"))
        return out

    return source


_MINUTES = Param("minutes", 1, 1440, 5, integer=True, description="for how long")
signal("cpu_above", Param("threshold", 0, 12800, description="percent; 100 = one core busy"), _MINUTES,
       targets=("resource_id",),
       description="CPU above threshold % for `minutes`")(_sustained("cpu_percent"))
signal("memory_above", Param("threshold", 0, 100, description="percent of the memory limit"), _MINUTES,
       targets=("resource_id",),
       description="memory above threshold % for `minutes`")(_sustained("mem_percent"))
