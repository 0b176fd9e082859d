"""Dependency checks behind the health endpoints: the database always, Redis and the
container engine once they are configured."""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import Engine, text

from cloudfold.settings import Settings


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    latency_ms: float
    error: str | None = None


def _timed(name: str, probe) -> Check:
    start = time.perf_counter()
    try:
        probe()
    except Exception as exc:  # any failure of a dependency is a failed check, not a 500
        return Check(name, False, round((time.perf_counter() - start) * 1000, 2), f"{type(exc).__name__}: {exc}"[:300])
    return Check(name, True, round((time.perf_counter() - start) * 1000, 2))


def check_database(engine: Engine) -> Check:
    def probe() -> None:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    return _timed("database", probe)


def check_redis(url: str) -> Check:
    def probe() -> None:
        import redis

        client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        try:
            client.ping()
        finally:
            client.close()

    return _timed("redis", probe)


def check_docker(base_url: str) -> Check:
    def probe() -> None:
        import docker

        client = docker.DockerClient(base_url=base_url, timeout=3)
        try:
            client.ping()
        finally:
            client.close()

    return _timed("docker", probe)


def readiness(engine: Engine, settings: Settings) -> list[Check]:
    checks = [check_database(engine)]
    if settings.redis_url:
        checks.append(check_redis(settings.redis_url))
    if settings.docker_host:
        checks.append(check_docker(settings.docker_host))
    return checks
