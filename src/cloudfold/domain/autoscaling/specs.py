"""What a group request may say, checked before anything changes (400 naming the rule): sizes
(0 <= min <= max <= `MAX_SIZE`, min <= desired <= max), the scaling policy, the load balancer
link and the launch template's ports (several instances publish them, so a host port is any
free one: "80" or "0:80"; a fixed host port only in a group of at most one)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from cronsim import CronSim, CronSimError

from cloudfold.domain.localcloud import instances
from cloudfold.errors import BadRequest

MAX_SIZE = 100
MAX_ENTRIES = 20
MAX_COOLDOWN = 86400
DEFAULT_COOLDOWN = 300
TEMPLATE_FIELDS = ("image", "ports", "env", "command", "cpu", "memory", "vpc_id", "subnet_id", "service")
SIZES = ("min_size", "max_size", "desired_capacity")


@dataclass(frozen=True)
class GroupSpec:
    """A create or update request; `given` names the fields it set."""
    name: str | None = None
    template: dict[str, Any] = field(default_factory=dict)
    min_size: int | None = None
    max_size: int | None = None
    desired_capacity: int | None = None
    load_balancer_id: str | None = None
    target_port: int | None = None
    policy: dict[str, Any] | None = None
    health_check_grace_s: int | None = None
    given: frozenset[str] = frozenset()

    def over(self, current: GroupSpec) -> GroupSpec:
        """This update applied to ``current`` (the fields not given are kept)."""
        return replace(current, **{f: getattr(self, f) for f in self.given}, given=current.given | self.given)


def check_sizes(min_size: int, max_size: int, desired: int) -> None:
    if not 0 <= min_size <= MAX_SIZE or not 1 <= max_size <= MAX_SIZE:
        raise BadRequest(f"min_size is 0 to {MAX_SIZE} and max_size 1 to {MAX_SIZE}")
    if min_size > max_size:
        raise BadRequest(f"min_size ({min_size}) is greater than max_size ({max_size})")
    if not min_size <= desired <= max_size:
        raise BadRequest(f"desired_capacity ({desired}) must lie between min_size ({min_size}) and max_size ({max_size})")


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _cron(expression: Any) -> str:
    if not isinstance(expression, str) or len(expression.split()) != 5 or len(expression) > 120:
        raise BadRequest("a schedule entry's cron is a 5-field cron expression (UTC), e.g. '0 8 * * 1-5'")
    try:
        CronSim(expression, datetime.now(UTC))
    except CronSimError as exc:
        raise BadRequest(f"cron {expression!r} is not a valid cron expression: {exc}") from None
    return expression.strip()


def check_policy(policy: dict[str, Any] | None, min_size: int, max_size: int) -> dict[str, Any] | None:
    """{"type": "target_cpu", "target_percent": 1-100, "cooldown_s": 0-86400 (300)} or
    {"type": "schedule", "entries": [{"cron", "desired"}, …]} (desired within [min, max]), or none."""
    if policy is None:
        return None
    if not isinstance(policy, dict) or policy.get("type") not in ("target_cpu", "schedule"):
        raise BadRequest("policy.type must be 'target_cpu' or 'schedule'")
    if policy["type"] == "target_cpu":
        if set(policy) - {"type", "target_percent", "cooldown_s"}:
            raise BadRequest("a target_cpu policy has target_percent and cooldown_s only")
        target, cooldown = policy.get("target_percent"), policy.get("cooldown_s", DEFAULT_COOLDOWN)
        if not _number(target) or not 1 <= target <= 100:
            raise BadRequest("policy.target_percent must be a number from 1 to 100")
        if not isinstance(cooldown, int) or isinstance(cooldown, bool) or not 0 <= cooldown <= MAX_COOLDOWN:
            raise BadRequest(f"policy.cooldown_s must be a whole number of seconds from 0 to {MAX_COOLDOWN}")
        return {"type": "target_cpu", "target_percent": target, "cooldown_s": cooldown}
    entries = policy.get("entries")
    if set(policy) - {"type", "entries"} or not isinstance(entries, list) or not 1 <= len(entries) <= MAX_ENTRIES:
        raise BadRequest(f"a schedule policy has entries: a list of 1 to {MAX_ENTRIES} {{cron, desired}}")
    out = []
    for entry in entries:
        if not isinstance(entry, dict) or set(entry) != {"cron", "desired"}:
            raise BadRequest("each schedule entry is {cron, desired}")
        desired = entry["desired"]
        if not isinstance(desired, int) or isinstance(desired, bool) or not min_size <= desired <= max_size:
            raise BadRequest(f"a schedule entry's desired ({desired}) must lie between min_size ({min_size}) "
                             f"and max_size ({max_size})")
        out.append({"cron": _cron(entry["cron"]), "desired": desired})
    return {"type": "schedule", "entries": out}


def group_ports(value: Any, max_size: int) -> list[str]:
    """The template's ports as "HOST:CONTAINER/PROTO", a missing host port made 0 (any free one)."""
    items = value.split(",") if isinstance(value, str) else list(value or [])
    out = []
    for item in (str(i).strip() for i in items if str(i).strip()):
        spec, slash, proto = item.partition("/")
        if ":" not in spec:
            item = f"0:{spec}{slash}{proto}"
        out.append(item)
    parsed = instances.parse_ports(out)
    if max_size > 1 and any(host != instances.ANY_PORT for host, _, _ in parsed):
        raise BadRequest("a group's instances cannot share a fixed host port: give the container port only "
                         "(e.g. '80': each instance gets a free host port) or use a load balancer")
    return [f"{h}:{c}/{p}" for h, c, p in parsed]


def checked(spec: GroupSpec) -> GroupSpec:
    """The whole spec checked (after an update is applied: the merged one); defaults filled in."""
    for required in ("name", "min_size", "max_size"):
        if getattr(spec, required) is None:
            raise BadRequest(f"{required} is required")
    if not spec.template.get("image"):
        raise BadRequest("launch_template.image is required")
    desired = spec.desired_capacity if spec.desired_capacity is not None else spec.min_size
    check_sizes(spec.min_size, spec.max_size, desired)
    if (spec.load_balancer_id is None) != (spec.target_port is None):
        raise BadRequest("load_balancer_id and target_port go together")
    grace = 60 if spec.health_check_grace_s is None else spec.health_check_grace_s
    if not 0 <= grace <= 86400:
        raise BadRequest("health_check_grace_s must be 0 to 86400")
    template = {k: v for k, v in spec.template.items() if k in TEMPLATE_FIELDS and v is not None}
    template["ports"] = group_ports(template.get("ports"), spec.max_size)
    return replace(spec, template=template, desired_capacity=desired, health_check_grace_s=grace,
                   policy=check_policy(spec.policy, spec.min_size, spec.max_size))
