"""The cache image for the cache tests: `cloudfold/redis:7`, built once per test session into the
tests' Podman engine by the product's own builder (what `cloudfold images build` makes)."""

from __future__ import annotations

import pytest

from cloudfold.drivers import registry
from cloudfold.drivers.local.driver import engine_spec
from cloudfold.images import SPECS, builder

REDIS = next(s for s in SPECS if s.builder == "redis")


_built: set[str] = set()


def build_redis_image(engine_socket: str) -> str:
    """Build cloudfold/redis:7 into the engine, once per test session (about a second)."""
    if engine_socket not in _built:
        driver = registry.open_driver(engine_spec(engine_socket))
        try:
            builder.build(driver, REDIS)
        finally:
            driver.close()
        _built.add(engine_socket)
    return REDIS.ref


@pytest.fixture(scope="session")
def redis_image(engine_socket) -> str:
    return build_redis_image(engine_socket)
