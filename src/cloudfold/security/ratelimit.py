"""Rate limits (seed 000's table) with the `limits` library: in memory, or in Redis when
``CLOUDFOLD_REDIS_URL`` is set so that every replica counts against one window.

When Redis cannot be reached the limits are counted in this process instead, so that an
outage of the shared counter neither takes the API down nor switches the limits off
(readiness reports Redis as DISCONNECTED meanwhile)."""

from __future__ import annotations

import logging
import math
import time

from limits import RateLimitItem, parse
from limits.errors import StorageError
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from cloudfold.errors import RateLimited
from cloudfold.settings import Settings

log = logging.getLogger("cloudfold.ratelimit")
REDIS_TIMEOUT_S = 0.5  # a Redis that drops packets must not stall every request


class RateLimits:
    def __init__(self, settings: Settings) -> None:
        memory = MovingWindowRateLimiter(storage_from_string("memory://"))
        if settings.redis_url:
            storage = storage_from_string(settings.redis_url, wrap_exceptions=True,
                                          socket_connect_timeout=REDIS_TIMEOUT_S, socket_timeout=REDIS_TIMEOUT_S)
            self._limiter = MovingWindowRateLimiter(storage)
            self._fallback: MovingWindowRateLimiter | None = memory
        else:
            self._limiter, self._fallback = memory, None
        self.shared = bool(settings.redis_url)  # counting is a network round trip (callers off the event loop)
        self._items = {
            "default": parse(settings.rate_limit_default),
            "auth": parse(settings.rate_limit_auth),
            "actions": parse(settings.rate_limit_actions),
            "login_account": parse(settings.rate_limit_login_account),
        }

    def _with_fallback(self, call):
        """Run ``call(limiter)`` on the shared counter, or on this process's when it is unreachable."""
        try:
            return call(self._limiter)
        except StorageError:
            if self._fallback is None:
                raise
            log.warning("rate-limit storage unreachable; counting in this process only", exc_info=True)
            return call(self._fallback)

    def hit(self, category: str, identity: str) -> None:
        """Count one request of ``identity`` in ``category``; raise RateLimited when over."""
        item = self._items[category]
        self._with_fallback(lambda limiter: self._hit(limiter, item, category, identity))

    def check(self, category: str, identity: str) -> None:
        """Raise RateLimited when ``identity`` has used up ``category`` (counts nothing)."""
        item = self._items[category]

        def test(limiter: MovingWindowRateLimiter) -> None:
            if not limiter.test(item, "cloudfold", category, identity):
                raise self._limited(limiter, item, category, identity)

        self._with_fallback(test)

    def count(self, category: str, identity: str) -> None:
        """Count one event (e.g. a failed login) without refusing anything now."""
        item = self._items[category]
        self._with_fallback(lambda limiter: limiter.hit(item, "cloudfold", category, identity))

    def clear(self, category: str, identity: str) -> None:
        item = self._items[category]
        self._with_fallback(lambda limiter: limiter.clear(item, "cloudfold", category, identity))

    @staticmethod
    def _limited(limiter: MovingWindowRateLimiter, item: RateLimitItem, category: str,
                 identity: str) -> RateLimited:
        stats = limiter.get_window_stats(item, "cloudfold", category, identity)
        return RateLimited(max(1, math.ceil(stats.reset_time - time.time())))

    @classmethod
    def _hit(cls, limiter: MovingWindowRateLimiter, item: RateLimitItem, category: str, identity: str) -> None:
        if limiter.hit(item, "cloudfold", category, identity):
            return
        raise cls._limited(limiter, item, category, identity)
