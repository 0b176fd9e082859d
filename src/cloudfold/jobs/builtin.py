"""Jobs every cloudfold process has."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import delete, or_

from cloudfold.db.base import utcnow
from cloudfold.db.models import IdempotencyRecord, PasswordResetToken
from cloudfold.domain import sessions
from cloudfold.jobs.registry import JobContext, job


@job("housekeeping")
def housekeeping(ctx: JobContext, payload: dict[str, Any]) -> dict[str, int]:
    """Drop idempotency records past their TTL, reset tokens that are used or expired, and
    revocations of JWTs that have expired anyway."""
    now = utcnow()
    cutoff = now - timedelta(hours=ctx.settings.idempotency_ttl_hours)
    with ctx.sessions() as session:
        idem = session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at < cutoff)).rowcount
        tokens = session.execute(
            delete(PasswordResetToken).where(
                or_(PasswordResetToken.used_at.is_not(None), PasswordResetToken.expires_at < now)
            )
        ).rowcount
        revoked = sessions.drop_expired(session)
        session.commit()
    ctx.log(f"removed {idem} idempotency record(s), {tokens} reset token(s) and {revoked} expired revocation(s)")
    return {"idempotency_records": idem, "reset_tokens": tokens, "revoked_tokens": revoked}
