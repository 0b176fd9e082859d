"""The cache image for the cache tests: `cloudfold/redis:7`, built once per test session into the
tests' Podman engine by the product's own builder (what `cloudfold images build` makes)."""

from __future__ import annotations

import pytest

from cloudfold.drivers import registry
from cloudfold.drivers.local.driver import engine_spec
from cloudfold.images import SPECS, builder

REDIS = next(s for s in SPECS if s.builder == "redis")


@pytest.fixture(scope="session")
def redis_image(engine_socket) -> str:
    driver = registry.open_driver(engine_spec(engine_socket))
    try:
        builder.build(driver, REDIS)
    finally:
        driver.close()
    return REDIS.ref
