"""Opaque secrets: API keys and reset tokens. Only SHA-256 digests are ever stored.

The secrets are 256-bit random values, so a fast digest is enough (no password stretching
needed) and keeps key lookups to one indexed query.
"""

from __future__ import annotations

import hashlib
import secrets

API_KEY_PREFIX = "cfk_"
INVITATION_PREFIX = "cfi_"


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _new_prefixed(prefix: str) -> tuple[str, str, str]:
    """Return (secret, display prefix, digest)."""
    key = prefix + secrets.token_urlsafe(32)
    return key, key[:12], digest(key)


def new_api_key() -> tuple[str, str, str]:
    """Return (key, display prefix, digest)."""
    return _new_prefixed(API_KEY_PREFIX)


def new_invitation() -> tuple[str, str, str]:
    """Return (invitation token, display prefix, digest)."""
    return _new_prefixed(INVITATION_PREFIX)


def looks_like_api_key(value: str) -> bool:
    return value.startswith(API_KEY_PREFIX)


def new_reset_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token, digest(token)
