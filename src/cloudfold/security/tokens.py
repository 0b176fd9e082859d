"""Opaque secrets: API keys and reset tokens. Only SHA-256 digests are ever stored.

The secrets are 256-bit random values, so a fast digest is enough (no password stretching
needed) and keeps key lookups to one indexed query.
"""

from __future__ import annotations

import hashlib
import secrets

API_KEY_PREFIX = "cfk_"


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def new_api_key() -> tuple[str, str, str]:
    """Return (key, display prefix, digest)."""
    key = API_KEY_PREFIX + secrets.token_urlsafe(32)
    return key, key[:12], digest(key)


def looks_like_api_key(value: str) -> bool:
    return value.startswith(API_KEY_PREFIX)


def new_reset_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token, digest(token)
