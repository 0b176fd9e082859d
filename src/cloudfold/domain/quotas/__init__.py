"""Per-user quotas: the one place that counts a user's objects and capacity against their
limits before anything is made (`claim`), which host ports they may publish
(`check_publish`), and the limits' defaults and overrides (`limits`). Admins are not limited.
New capabilities add a quota with `register` (registry.py)."""

from cloudfold.domain.quotas.enforce import claim, claim_object, describe_defaults, enforced, report
from cloudfold.domain.quotas.ports import NOT_AVAILABLE, check_publish
from cloudfold.domain.quotas.registry import REGISTRY, Quota, register

__all__ = ["NOT_AVAILABLE", "REGISTRY", "Quota", "check_publish", "claim", "claim_object", "describe_defaults", "enforced",
           "register", "report"]
