"""Sign-up policy (the ``signup`` setting: open, invite or closed) and admin-made invitations.

An invitation is a random token shown once and stored as a digest (like an API key),
optionally bound to one address, optionally expiring, and used at most once: the claim is a
conditional write in the same transaction as the new user, so two sign-ups racing with one
token make one account, and a sign-up that fails (address taken) leaves the token unused.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cloudfold.db.base import utcnow
from cloudfold.db.models import Invitation, User
from cloudfold.domain import audit, expiry, users
from cloudfold.domain.context import Context
from cloudfold.errors import Conflict, Forbidden, NotFound
from cloudfold.security.tokens import digest, new_invitation

OPEN, INVITE, CLOSED = "open", "invite", "closed"
INVALID = "Invalid, used or expired invitation"


def status_of(inv: Invitation, now: datetime | None = None) -> str:
    if inv.used_at is not None:
        return "used"
    if inv.expires_at is not None and inv.expires_at <= (now or utcnow()):
        return "expired"
    return "pending"


def create(session: Session, ctx: Context, email: str | None, expires_at: datetime | None = None, *,
           expires_in_days: int | None = None) -> tuple[Invitation, str]:
    expires_at = expires_at or expiry.after(expires_in_days)
    token, prefix, token_hash = new_invitation()
    inv = Invitation(token_hash=token_hash, prefix=prefix, email=users.normalise_email(email) if email else None,
                     created_by=ctx.actor_user_id, expires_at=expires_at)
    session.add(inv)
    session.flush()
    audit.record(session, ctx, "invitation.create", target=f"invitation:{inv.id}",
                 detail={"email": inv.email, "expires_at": expires_at.isoformat() if expires_at else None})
    session.commit()
    return inv, token


def list_all(session: Session) -> list[Invitation]:
    return list(session.scalars(select(Invitation).order_by(Invitation.created_at, Invitation.id)))


def delete(session: Session, ctx: Context, invitation_id: str) -> None:
    inv = session.get(Invitation, invitation_id)
    if inv is None:
        raise NotFound("Invitation not found")
    if inv.used_at is not None:
        raise Conflict("This invitation has been used; it stays as the record of that sign-up")
    session.delete(inv)
    audit.record(session, ctx, "invitation.delete", target=f"invitation:{invitation_id}")
    session.commit()


def _refuse(session: Session, ctx: Context, email: str, reason: str, message: str) -> Forbidden:
    session.rollback()
    audit.record(session, ctx, "user.register", target=email, result=audit.BLOCKED, refused=Forbidden,
                 detail={"reason": reason})
    session.commit()
    return Forbidden(message, audited=True)


def _claim(session: Session, ctx: Context, email: str, token: str) -> Invitation:
    """Mark the invitation used (uncommitted: it commits with the new user) or refuse."""
    inv = session.scalar(select(Invitation).where(Invitation.token_hash == digest(token)))
    now = utcnow()
    if inv is None or status_of(inv, now) != "pending" or (inv.email and inv.email != email):
        raise _refuse(session, ctx, email, "invalid, used, expired or another address's invitation", INVALID)
    claimed = session.execute(
        update(Invitation).where(Invitation.id == inv.id, Invitation.used_at.is_(None)).values(used_at=now)
    ).rowcount
    if claimed != 1:
        raise _refuse(session, ctx, email, "invitation used concurrently", INVALID)
    return inv


def sign_up(session: Session, ctx: Context, mode: str, email: str, password: str, full_name: str,
            invite_token: str | None) -> User:
    """Register a user through the API under the sign-up policy (the CLI and admins use users.register)."""
    email = users.normalise_email(email)
    if mode == CLOSED:
        raise _refuse(session, ctx, email, "sign-up closed",
                      "Sign-up is closed on this server: ask an administrator for an account")
    inv = None
    if mode == INVITE:
        if not invite_token:
            raise _refuse(session, ctx, email, "no invitation",
                          "Sign-up on this server is by invitation only: send your invite_token")
        users.check_password_policy(password)  # a bad password must not use up the invitation
        inv = _claim(session, ctx, email, invite_token)
    user = users.register(session, ctx, email, password, full_name)  # commits the claim with the user
    if inv is not None:
        session.execute(update(Invitation).where(Invitation.id == inv.id).values(used_by=user.id))
        audit.record(session, ctx, "invitation.use", target=f"invitation:{inv.id}", actor=email,
                     detail={"user": f"user:{user.uuid}"})
        session.commit()
    return user


def sign_up_quietly(session: Session, ctx: Context, mode: str, email: str, password: str, full_name: str,
                    invite_token: str | None) -> str:
    """`sign_up` for a face whose answer is only the new user's id and that documents no 409
    (seed 003's /auth/register): a taken address answers like a success — a fresh id, nothing
    created — so strangers cannot probe which addresses have accounts."""
    try:
        return sign_up(session, ctx, mode, email, password, full_name, invite_token).uuid
    except Conflict:
        return str(uuid.uuid4())
