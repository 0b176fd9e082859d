"""Logging out: the presented credential stops working at once.

A JWT is revoked by its ``jti`` (a ``revoked_tokens`` row kept until the token would have
expired anyway; housekeeping drops it then, and ``auth._from_jwt`` refuses it meanwhile).
An API key handed out by a JSON login is revoked; a long-lived key made on purpose is not
a session, and is revoked with DELETE /auth/keys/{id}.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cloudfold.db.base import utcnow
from cloudfold.db.models import ApiKey, RevokedToken
from cloudfold.domain import audit
from cloudfold.domain.context import Context
from cloudfold.domain.policy import callers
from cloudfold.errors import BadRequest

MAX_JWT_LIFETIME = timedelta(days=2)  # a jti without a known expiry is kept this long


def logout(session: Session, ctx: Context) -> None:
    principal = ctx.principal
    if principal.token_id:
        expires = principal.token_expires_at or utcnow() + MAX_JWT_LIFETIME
        session.add(RevokedToken(jti=principal.token_id, user_id=principal.user_id, expires_at=expires))
        audit.record(session, ctx, "auth.logout", target=f"user:{principal.user_uuid}", detail={"token": "jwt"})
        try:
            session.commit()
        except IntegrityError:  # a concurrent logout with the same token got there first
            session.rollback()
        callers.changed(principal.user_id)  # sockets on this session close now
        return
    key = session.get(ApiKey, principal.key_id) if principal.key_id else None
    if key is None or key.kind != "login":
        raise BadRequest("This is a long-lived API key, not a login session: revoke it with "
                         "DELETE /auth/keys/{id} (id from GET /auth/keys)")
    key.revoked_at = utcnow()
    audit.record(session, ctx, "auth.logout", target=f"apikey:{key.id}", detail={"token": "api_key"})
    session.commit()
    callers.changed(principal.user_id)


def drop_expired(session: Session) -> int:
    """Forget revocations of tokens that have expired on their own (housekeeping)."""
    return session.execute(delete(RevokedToken).where(RevokedToken.expires_at < utcnow())).rowcount
