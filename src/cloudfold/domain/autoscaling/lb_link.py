"""The one place a group talks to load balancers (issue 13, package A builds them in
`cloudfold.domain.loadbalancers`). Imported lazily, inside each function: until that module
exists, `available()` is false and a group naming a load balancer is refused (400)."""

from __future__ import annotations

import importlib
from typing import Any

from cloudfold.errors import BadRequest

MODULE = "cloudfold.domain.loadbalancers"
NEEDED = ("get", "attach", "detach", "target_health")
UNAVAILABLE = "load balancers are not available"


def _module() -> Any | None:
    try:
        module = importlib.import_module(MODULE)
    except ImportError:
        return None
    return module if all(hasattr(module, name) for name in NEEDED) else None


def available() -> bool:
    return _module() is not None


def _lb() -> Any:
    module = _module()
    if module is None:
        raise BadRequest(UNAVAILABLE)
    return module


def check(cloud, lb_id: str) -> None:
    """The load balancer exists and is the caller's (its own 404 otherwise)."""
    _lb().get(cloud, lb_id)


def attach(cloud, lb_id: str, instance_id: str, port: int) -> None:
    _lb().attach(cloud, lb_id, instance_id, port)


def detach(cloud, lb_id: str, instance_id: str) -> None:
    _lb().detach(cloud, lb_id, instance_id)


def target_health(cloud, lb_id: str) -> dict[str, str]:
    """instance id -> state ("healthy", "unhealthy", …) as the load balancer's checks see it."""
    return dict(_lb().target_health(cloud, lb_id))
