"""Alerts and notifications (issue 10): rules over monitors, metrics and the inventory
(`rules`, `signals`), evaluation with hysteresis (`evaluate`), grouping and deliveries with
retries (`notify`, `senders`), channels (`channels`), the alerts people see (`active`), seed
001's test and status (`reports`) and the scheduled job (`jobs`)."""

from cloudfold.domain.alerts import (
    active,
    channels,
    evaluate,
    jobs,
    notify,
    ownership,
    reports,
    rules,
    signals,
)

__all__ = ["active", "channels", "evaluate", "jobs", "notify", "ownership", "reports", "rules", "signals"]
