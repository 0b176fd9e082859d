"""Forgotten passwords: single-use, expiring reset tokens, stored as digests."""

from __future__ import annotations

import dataclasses
import logging
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cloudfold.db.base import utcnow
from cloudfold.db.models import ApiKey, PasswordResetToken
from cloudfold.domain import audit, users
from cloudfold.domain.context import Context
from cloudfold.domain.policy import callers
from cloudfold.errors import BadRequest
from cloudfold.notify.base import Notifier
from cloudfold.security.passwords import hash_password
from cloudfold.security.tokens import digest, new_reset_token

log = logging.getLogger("cloudfold.auth")

FORGOT_MESSAGE = "If the email exists, a reset token has been sent."


def request_reset(
    session: Session, ctx: Context, notifier: Notifier, email: str, ttl_minutes: int, public_url: str
) -> None:
    """Send a reset token if the account exists; the caller answers the same either way."""
    user = users.by_email(session, email)
    if user is None or not user.is_active:
        audit.record(session, ctx, "auth.forgot_password", target=users.normalise_email(email),
                     result=audit.FAILED, detail={"reason": "unknown email"})
        session.commit()
        return
    token, token_hash = new_reset_token()
    session.add(PasswordResetToken(user_id=user.id, token_hash=token_hash,
                                   expires_at=utcnow() + timedelta(minutes=ttl_minutes)))
    audit.record(session, ctx, "auth.forgot_password", target=f"user:{user.uuid}")
    session.commit()
    try:
        notifier.send(
            user.email,
            "Reset your cloudfold password",
            f"Your password reset token is:\n\n{token}\n\n"
            f"Use it within {ttl_minutes} minutes with POST {public_url}/auth/reset-password.\n"
            "If you did not ask for this, ignore this message.",
        )
    except Exception:  # the answer must not reveal whether the account exists
        log.exception("could not deliver the password reset message for user %s", user.uuid)


def _refuse(session: Session, ctx: Context) -> BadRequest:
    audit.record(session, ctx, "auth.reset_password", result=audit.FAILED, refused=BadRequest,
                 detail={"reason": "invalid, used or expired token"})
    session.commit()
    return BadRequest("Invalid or expired reset token")


def reset(session: Session, ctx: Context, token: str, new_password: str, revoke_api_keys: bool = True) -> None:
    """Set the new password; every JWT dies (token_version), so do the keys of JSON logins and,
    unless ``revoke_api_keys`` is false, every other API key of the user."""
    users.check_password_policy(new_password)
    row = session.scalar(select(PasswordResetToken).where(PasswordResetToken.token_hash == digest(token)))
    now = utcnow()
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise _refuse(session, ctx)
    user = users.get(session, row.user_id)
    new_hash = hash_password(new_password)
    # Claim the token with a conditional write: of two requests racing with one token, only
    # the first to write succeeds (the check above alone would let both through).
    claimed = session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.id == row.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=now)
    ).rowcount
    if claimed != 1:
        session.rollback()
        raise _refuse(session, ctx)
    session.execute(  # the user's other pending tokens die with this reset
        update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=now)
    )
    user.password_hash = new_hash
    user.token_version += 1  # every JWT issued before the reset stops working
    keys = update(ApiKey).where(ApiKey.user_id == user.id, ApiKey.revoked_at.is_(None))
    if not revoke_api_keys:
        keys = keys.where(ApiKey.kind == "login")  # login keys are sessions: they always go
    revoked = session.execute(keys.values(revoked_at=now)).rowcount
    ctx = dataclasses.replace(ctx, principal=users.principal_for(user))  # so the user sees it in their log
    audit.record(session, ctx, "auth.reset_password", target=f"user:{user.uuid}", actor=user.email,
                 detail={"revoke_api_keys": revoke_api_keys, "revoked_keys": revoked})
    session.commit()
    callers.changed(user.id)  # this process's open sockets of the user close now, not at their next check
