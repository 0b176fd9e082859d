"""Whose connections the egress rule trusts: admins, and what belongs to no one or to an admin."""

from __future__ import annotations

from sqlalchemy.orm import Session

from cloudfold.db.models import User


def owner_trusted(session: Session | None, owner_id: int | None) -> bool:
    """True for things owned by no one (the shared local engine) or by an admin; an owner who
    cannot be looked up (no session, a deleted user) is not trusted."""
    if owner_id is None:
        return True
    owner = session.get(User, owner_id) if session is not None else None
    return owner is not None and owner.role == "admin"
