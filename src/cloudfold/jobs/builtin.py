"""Jobs every cloudfold process has."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import delete, or_

from cloudfold.db.base import utcnow
from cloudfold.db.models import IdempotencyRecord, PasswordResetToken
from cloudfold.jobs.registry import JobContext, job


@job("housekeeping")
def housekeeping(ctx: JobContext, payload: dict[str, Any]) -> dict[str, int]:
    """Drop idempotency records past their TTL and reset tokens that are used or expired."""
    now = utcnow()
    cutoff = now - timedelta(hours=ctx.settings.idempotency_ttl_hours)
    with ctx.sessions() as session:
        idem = session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at < cutoff)).rowcount
        tokens = session.execute(
            delete(PasswordResetToken).where(
                or_(PasswordResetToken.used_at.is_not(None), PasswordResetToken.expires_at < now)
            )
        ).rowcount
        session.commit()
    ctx.log(f"removed {idem} idempotency record(s) and {tokens} reset token(s)")
    return {"idempotency_records": idem, "reset_tokens": tokens}
