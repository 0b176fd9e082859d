"""Periodic provider work: health checks at the `health_check_interval` setting."""

from __future__ import annotations

from typing import Any

from cloudfold.domain import accounts, runtime_settings
from cloudfold.jobs.registry import JobContext, job


@job("providers.health_due")
def health_due_job(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    checked = {}
    with ctx.sessions() as session:
        interval = runtime_settings.value(session, "health_check_interval")
        for account in accounts.health_due(session, interval):
            accounts.check_health(session, account, ctx.services.secretbox, ctx.settings)
            checked[account.slug] = account.health_status
    return {"checked": checked}
