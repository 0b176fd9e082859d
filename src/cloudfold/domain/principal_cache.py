"""A short-lived cache of API-key principals, so that an authenticated read does not load the
key and its owner from the database on every request.

Correctness bounds (docs/architecture.md, "The read path"):

- an entry lives at most ``ttl`` seconds (``CLOUDFOLD_PRINCIPAL_CACHE_SECONDS``, default 5;
  0 turns the cache off), and never past the key's own expiry;
- a revocation, rotation, password reset or logout in this process drops the user's entries at
  once (`policy.callers.changed`); one in another process takes effect here within ``ttl``;
- it is keyed by the key's digest (never the secret) and holds at most ``max_entries``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone

from cloudfold.domain.context import Principal
from cloudfold.domain.policy import callers
from cloudfold.security.tokens import digest, looks_like_api_key


class PrincipalCache:
    def __init__(self, ttl: float, max_entries: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._clock = clock
        self._entries: dict[str, tuple[Principal, float, datetime | None]] = {}
        self._lock = threading.Lock()
        self._unsubscribe = callers.listen(self.forget_user) if ttl > 0 else (lambda: None)

    def get(self, credential: str) -> Principal | None:
        if self.ttl <= 0 or not looks_like_api_key(credential):
            return None
        key = digest(credential)
        entry = self._entries.get(key)
        if entry is None:
            return None
        principal, until, expires_at = entry
        if until <= self._clock() or (expires_at is not None and expires_at <= datetime.now(timezone.utc)):
            with self._lock:
                self._entries.pop(key, None)
            return None
        return principal

    def put(self, credential: str, principal: Principal, expires_at: datetime | None) -> None:
        if self.ttl <= 0 or principal.key_id is None:
            return
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._entries.clear()  # bounded memory; the next requests refill it
            self._entries[digest(credential)] = (principal, self._clock() + self.ttl, expires_at)

    def forget_user(self, user_id: int) -> None:
        with self._lock:
            for key in [k for k, (p, _, _) in self._entries.items() if p.user_id == user_id]:
                del self._entries[key]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def close(self) -> None:
        self._unsubscribe()
        self.clear()
