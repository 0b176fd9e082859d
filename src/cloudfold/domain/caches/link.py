"""Talking to a cache's Redis from the control plane: through the egress rule (the connection
is made for the cache's owner, to the local engine's published port), with the `redis` client.

Used to wait for a new cache to serve, to read its live figures (`INFO`) and to rotate its
password (`CONFIG SET requirepass`, then `CONFIG REWRITE` so a restarted Redis keeps it)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import redis

from cloudfold.domain import egress
from cloudfold.errors import ServiceUnavailable, UpstreamError
from cloudfold.settings import Settings

CONTAINER_PORT = 6379
TIMEOUT = 3.0  # seconds for one connection or command
WILDCARDS = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int


@dataclass(frozen=True)
class Figures:
    """What `INFO` tells of a running cache."""

    used_memory: int  # bytes
    maxmemory: int  # bytes
    keys: int  # over every database
    hits: int
    misses: int
    connected_clients: int
    evicted_keys: int
    uptime_seconds: int
    redis_version: str


def endpoint(settings: Settings, ports: list[list]) -> Endpoint | None:
    """Where the owner reaches the cache: the published host port of Redis's port, on the
    publish address (a wildcard address is reached on loopback)."""
    host = WILDCARDS.get(settings.local_publish_ip, settings.local_publish_ip)
    port = next((h for h, c, _ in ports if c == CONTAINER_PORT and h), None)
    return Endpoint(host, port) if port else None


@contextmanager
def connected(settings: Settings, trusted: bool, where: Endpoint, password: str) -> Iterator[redis.Redis]:
    """A client of the cache at ``where``, its address approved by the egress rule and pinned
    while it is used; Redis's own failures become the one error shape (503 unreachable, 502
    refused)."""
    approved = egress.check_host(where.host, where.port, trusted=trusted, settings=settings, what="cache endpoint")
    client = redis.Redis(host=where.host, port=where.port, password=password, socket_timeout=TIMEOUT,
                         socket_connect_timeout=TIMEOUT)
    try:
        with egress.guard(settings, trusted, [approved]):
            yield client
    except (redis.ConnectionError, redis.TimeoutError) as exc:
        raise ServiceUnavailable(f"The cache's Redis does not answer: {type(exc).__name__}") from None
    except redis.RedisError as exc:
        raise UpstreamError(f"The cache's Redis refused the command: {type(exc).__name__}") from None
    finally:
        client.close()


def wait_ready(settings: Settings, trusted: bool, where: Endpoint, password: str, running) -> None:
    """Wait until Redis answers PING with the password, up to `cache_start_timeout_seconds`;
    ``running()`` says whether its container still runs (a Redis that exited fails at once)."""
    deadline = time.monotonic() + settings.cache_start_timeout_seconds
    while True:
        try:
            with connected(settings, trusted, where, password) as client:
                client.ping()
                return
        except (ServiceUnavailable, UpstreamError) as exc:
            if not running():
                raise UpstreamError(f"its container stopped ({exc.message})") from None
            if time.monotonic() > deadline:
                raise UpstreamError(f"no answer to PING in {settings.cache_start_timeout_seconds:g} s on "
                                    f"{where.host}:{where.port} ({exc.message})") from None
        time.sleep(0.1)


def figures(client: redis.Redis) -> Figures:
    info = client.info("all")
    keys = sum(v.get("keys", 0) for k, v in info.items() if k.startswith("db") and isinstance(v, dict))
    return Figures(used_memory=int(info.get("used_memory", 0)), maxmemory=int(info.get("maxmemory", 0)), keys=keys,
                   hits=int(info.get("keyspace_hits", 0)), misses=int(info.get("keyspace_misses", 0)),
                   connected_clients=int(info.get("connected_clients", 0)),
                   evicted_keys=int(info.get("evicted_keys", 0)),
                   uptime_seconds=int(info.get("uptime_in_seconds", 0)), redis_version=str(info.get("redis_version", "")))


def set_password(client: redis.Redis, password: str) -> None:
    """The new password for every new connection (open ones stay authenticated, as in Redis),
    written to the cache's config file too."""
    client.config_set("requirepass", password)
    client.config_rewrite()
