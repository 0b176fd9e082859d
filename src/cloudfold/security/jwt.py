"""JWT access tokens (HS256) for seed 002's OAuth2 password flow."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import jwt

ALGORITHM = "HS256"


@dataclass(frozen=True)
class TokenClaims:
    subject: str  # user uuid
    token_version: int
    jti: str = ""
    expires_at: datetime | None = None


def issue(secret: str, subject: str, token_version: int, ttl_minutes: int) -> str:
    now = datetime.now(timezone.utc)
    claims = {
        "sub": subject,
        "tv": token_version,
        "iat": now,
        "exp": now + timedelta(minutes=ttl_minutes),
        "jti": uuid.uuid4().hex,
        "typ": "access",
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify(secret: str, token: str) -> TokenClaims | None:
    """Return the claims of a valid, unexpired token, or None."""
    try:
        claims = jwt.decode(
            token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub", "iat", "jti"]}
        )
    except jwt.PyJWTError:
        return None
    if claims.get("typ") != "access" or not isinstance(claims.get("tv"), int):
        return None
    return TokenClaims(subject=str(claims["sub"]), token_version=claims["tv"], jti=str(claims.get("jti") or ""),
                       expires_at=datetime.fromtimestamp(claims["exp"], timezone.utc))
