"""Users: registration, password login, lookup."""

from __future__ import annotations

import hashlib
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cloudfold.db.models import User
from cloudfold.domain import audit
from cloudfold.domain.context import Context, Principal
from cloudfold.errors import BadRequest, Conflict, Unauthorized
from cloudfold.security.passwords import hash_password, needs_rehash, verify_password
from cloudfold.security.scopes import Role, scopes_for_role

MIN_PASSWORD = 8
MAX_PASSWORD = 256


def normalise_email(email: str) -> str:
    return email.strip().lower()


def check_password_policy(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise BadRequest(f"Password must be at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise BadRequest(f"Password must be at most {MAX_PASSWORD} characters")


def register(
    session: Session,
    ctx: Context,
    email: str,
    password: str,
    full_name: str = "",
    role: Role = Role.member,
) -> User:
    email = normalise_email(email)
    check_password_policy(password)
    user = User(email=email, full_name=full_name, password_hash=hash_password(password), role=role.value)
    session.add(user)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        audit.record(session, ctx, "user.register", target=email, result=audit.FAILED,
                     refused=Conflict, detail={"reason": "email already registered"})
        session.commit()
        raise Conflict("Email already registered") from None
    audit.record(session, ctx, "user.register", target=f"user:{user.uuid}", detail={"role": role.value})
    session.commit()
    return user


class Throttle(Protocol):
    """The rate-limit counters (``security.ratelimit.RateLimits``): shared by replicas through Redis."""

    def check(self, category: str, identity: str) -> None: ...
    def count(self, category: str, identity: str) -> None: ...
    def clear(self, category: str, identity: str) -> None: ...


LOGIN_ACCOUNT = "login_account"


def _login_identity(email: str) -> str:
    # a digest, so the shared counter store never holds addresses
    return "email:" + hashlib.sha256(email.encode()).hexdigest()


def authenticate(session: Session, ctx: Context, email: str, password: str, throttle: Throttle | None = None) -> User:
    """Return the user whose password matches, or raise Unauthorized (audited as failed).

    With a ``throttle``, failed attempts are counted per address (known or not, so the
    answers do not tell them apart); once over the limit every attempt is refused with 429
    until the window moves on, and a success clears the count."""
    email = normalise_email(email)
    identity = _login_identity(email)
    if throttle is not None:
        throttle.check(LOGIN_ACCOUNT, identity)
    user = by_email(session, email)
    # an unknown address is verified against a dummy hash: both answers take the same time
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.is_active:
        if throttle is not None:
            throttle.count(LOGIN_ACCOUNT, identity)
        audit.record(session, ctx, "auth.login", target=email, result=audit.FAILED,
                     refused=Unauthorized, actor=email)
        session.commit()
        raise Unauthorized("Incorrect email or password")
    if throttle is not None:
        throttle.clear(LOGIN_ACCOUNT, identity)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def principal_for(user: User, scopes: frozenset[str] | None = None, key=None) -> Principal:
    granted = scopes_for_role(user.role)
    return Principal(
        user_id=user.id,
        user_uuid=user.uuid,
        email=user.email,
        role=user.role,
        scopes=granted if scopes is None else frozenset(scopes) & granted,
        key_id=key.id if key is not None else None,
        key_prefix=key.prefix if key is not None else None,
    )


def get(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def by_uuid(session: Session, user_uuid: str) -> User | None:
    return session.scalar(select(User).where(User.uuid == user_uuid))


def by_email(session: Session, email: str) -> User | None:
    """The user of an address; an address with a control character (NUL included) can never
    have been stored, and PostgreSQL refuses NUL in a query, so it names no one."""
    email = normalise_email(email)
    if any(ord(c) < 32 or ord(c) == 127 for c in email):
        return None
    return session.scalar(select(User).where(User.email == email))
