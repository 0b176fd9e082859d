"""The capability modules every entry point loads (the server's runtime, the CLI), so that each
registers what it declares — its jobs, ownership rules and quotas — in every process, whichever
command started it. A new capability adds its module here, once."""

from __future__ import annotations

import importlib

MODULES = (
    "cloudfold.domain.actions",
    "cloudfold.domain.alerts",
    "cloudfold.domain.autoscaling",
    "cloudfold.domain.budgets",
    "cloudfold.domain.caches",
    "cloudfold.domain.costs.sync",
    "cloudfold.domain.gateway.ownership",  # issue 13: gateway routes
    "cloudfold.domain.loadbalancers.dataplane",  # issue 13: the proxy's supervisor job
    "cloudfold.domain.loadbalancers.health",  # issue 13: target health kept, its alert rule kind
    "cloudfold.domain.loadbalancers.ownership",
    "cloudfold.domain.localcloud.containers",
    "cloudfold.domain.localcloud.reconcile",
    "cloudfold.domain.metrics.sampler",
    "cloudfold.domain.monitors.auto",
    "cloudfold.domain.provider_jobs",
    "cloudfold.domain.sync",
    "cloudfold.jobs.builtin",
)


def load() -> None:
    for name in MODULES:
        importlib.import_module(name)
