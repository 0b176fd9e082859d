"""Load balancers (issue 13, seed 003 /loadbalancers) on the one HAProxy of cloudfold.proxy:
`service` (create, read, change, delete), `targets` (the owner's instances behind them, their
health), `dataplane` (database -> haproxy.cfg -> the running proxy, the supervisor job),
`ownership` (policy rule, `load_balancers` quota).

The autoscaling groups call `attach`, `detach` and `target_health`."""

from cloudfold.domain.loadbalancers import ownership  # noqa: F401  (registers the policy rule and quota)
from cloudfold.domain.loadbalancers.targets import attach, detach, target_health

__all__ = ["attach", "detach", "target_health"]
