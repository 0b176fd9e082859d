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
        self._items = {
            "default": parse(settings.rate_limit_default),
            "auth": parse(settings.rate_limit_auth),
            "actions": parse(settings.rate_limit_actions),
        }

    def hit(self, category: str, identity: str) -> None:
        """Count one request of ``identity`` in ``category``; raise RateLimited when over."""
        item = self._items[category]
        try:
            self._hit(self._limiter, item, category, identity)
        except StorageError:
            if self._fallback is None:
                raise
            log.warning("rate-limit storage unreachable; counting in this process only", exc_info=True)
            self._hit(self._fallback, item, category, identity)

    @staticmethod
    def _hit(limiter: MovingWindowRateLimiter, item: RateLimitItem, category: str, identity: str) -> None:
        if limiter.hit(item, "cloudfold", category, identity):
            return
        stats = limiter.get_window_stats(item, "cloudfold", category, identity)
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        raise RateLimited(retry_after)
