"""Logging in with a password: checked (and throttled) by `users.authenticate`, audited, and
answered with the credential the caller's document uses — a JWT (seed 002) or a login API key
that expires after `login_key_ttl_days` (seed 003)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from sqlalchemy.orm import Session

from cloudfold.db.models import User
from cloudfold.domain import apikeys, audit, users
from cloudfold.domain.context import Context
from cloudfold.errors import CloudfoldError, RateLimited
from cloudfold.security import jwt as jwt_tokens
from cloudfold.settings import Settings

JWT, API_KEY = "jwt", "api_key"


@dataclass(frozen=True)
class LoggedIn:
    user: User
    token: str  # the JWT or the API key's plaintext, as asked
    expires_in: int | None = None  # seconds, for a JWT


def login(session: Session, ctx: Context, settings: Settings, jwt_secret: str, throttle, email: str,
          password: str, credential: str) -> LoggedIn:
    """Check the password and issue ``credential`` (JWT or API_KEY); a refusal is audited."""
    try:
        user = users.authenticate(session, ctx, email, password, throttle=throttle)
    except RateLimited:
        raise  # refused before any check: audited (sampled) where it is answered
    except CloudfoldError as exc:
        exc.extra["audited"] = True  # authenticate() wrote the failed attempt
        raise
    ctx = dataclasses.replace(ctx, principal=users.principal_for(user))
    audit.record(session, ctx, "auth.login", target=f"user:{user.uuid}", actor=user.email,
                 detail={"method": "password", "token": credential})
    if credential == API_KEY:
        _, key = apikeys.create(session, ctx, user, name="login", kind="login",
                                expires_in_days=settings.login_key_ttl_days)
        return LoggedIn(user, key)
    token = jwt_tokens.issue(jwt_secret, user.uuid, user.token_version, settings.jwt_ttl_minutes)
    session.commit()
    return LoggedIn(user, token, settings.jwt_ttl_minutes * 60)
