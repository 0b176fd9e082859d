"""What a group's policy asks its desired capacity to be now (None: no change).

- `schedule`: each entry's cron (UTC, cronsim) fires a desired count; the latest fire at or
  before now wins, applied once (the group keeps the fire time it applied, so a count set by
  hand afterwards stands until the next fire). A new group applies the latest fire at once.
- `target_cpu`: the average CPU of the group's running instances over the last
  `autoscaling_cpu_window_seconds` of metric history (`metric_samples`; percent of the
  template's CPU limit, one core when it has none) against `target_percent`, as EC2 target
  tracking does: ceil(instances × average / target), within [min, max]; not again before
  `cooldown_s` has passed since the last change it made."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from cronsim import CronSim
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloudfold.db.models import AutoscalingGroup, CloudObject, MetricSample


@dataclass
class Change:
    desired: int
    cause: str


def _clamped(group: AutoscalingGroup, value: int) -> int:
    return max(group.min_size, min(group.max_size, value))


def _latest_fire(entries: list[dict], now: datetime) -> tuple[datetime, dict] | None:
    fires = [(next(iter(CronSim(e["cron"], now, reverse=True))), e) for e in entries]
    return max(fires, key=lambda f: f[0]) if fires else None


def scheduled(group: AutoscalingGroup, now: datetime) -> Change | None:
    latest = _latest_fire(group.policy["entries"], now)
    if latest is None:
        return None
    fired, entry = latest
    if group.schedule_applied_at is not None and fired <= group.schedule_applied_at:
        return None
    group.schedule_applied_at = fired
    return Change(_clamped(group, entry["desired"]),
                  f"schedule {entry['cron']!r} fired at {fired.isoformat()}: desired {entry['desired']}")


def average_cpu(session: Session, running: list[CloudObject], since: datetime) -> float | None:
    ids = [o.resource_id for o in running]
    if not ids:
        return None
    return session.scalar(select(func.avg(MetricSample.cpu_percent)).where(
        MetricSample.resource_id.in_(ids), MetricSample.time >= since, MetricSample.cpu_percent.is_not(None)))


def target_cpu(session: Session, group: AutoscalingGroup, running: list[CloudObject], now: datetime,
               window_seconds: int) -> Change | None:
    policy = group.policy
    if group.last_scaled_at is not None and now - group.last_scaled_at < timedelta(seconds=policy["cooldown_s"]):
        return None
    average = average_cpu(session, running, now - timedelta(seconds=window_seconds))
    if average is None:
        return None
    utilisation = average / (group.template.get("cpu") or 1)
    wanted = _clamped(group, math.ceil(len(running) * utilisation / policy["target_percent"]))
    if wanted == group.desired_capacity:
        return None
    return Change(wanted, f"average CPU {utilisation:.1f}% over {window_seconds}s against a target of "
                          f"{policy['target_percent']}% on {len(running)} instance(s)")


def wanted(session: Session, group: AutoscalingGroup, running: list[CloudObject], now: datetime,
           window_seconds: int) -> Change | None:
    kind = (group.policy or {}).get("type")
    if kind == "schedule":
        change = scheduled(group, now)
    elif kind == "target_cpu":
        change = target_cpu(session, group, running, now, window_seconds)
    else:
        return None
    return change if change is not None and change.desired != group.desired_capacity else None
