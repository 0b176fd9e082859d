"""Password hashing with argon2id, at argon2-cffi's recommended parameters (RFC 9106's
low-memory profile: 64 MiB, 3 passes, 4 lanes).

`CLOUDFOLD_PASSWORD_HASH_PROFILE=cheapest` selects argon2-cffi's minimal parameters; it exists
for test suites only, which make thousands of users (each hash costs ~0.1 s of a CPU at the
recommended profile). A hash made with other parameters than the running ones is rehashed at
the user's next sign-in (`needs_rehash`), so a database moved from a cheap setup to a real
one gets strong hashes as people sign in."""

from __future__ import annotations

import os

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

PROFILES = {"recommended": profiles.RFC_9106_LOW_MEMORY, "cheapest": profiles.CHEAPEST}


def _profile_name() -> str:
    name = os.environ.get("CLOUDFOLD_PASSWORD_HASH_PROFILE", "recommended")
    if name not in PROFILES:
        raise RuntimeError(f"CLOUDFOLD_PASSWORD_HASH_PROFILE must be one of: {', '.join(PROFILES)}")
    return name


PROFILE = _profile_name()
_hasher = PasswordHasher.from_parameters(PROFILES[PROFILE])
# A hash to verify against when the user does not exist, so that a wrong email and a
# wrong password take the same time.
_DUMMY = _hasher.hash("cloudfold-timing-equaliser")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
