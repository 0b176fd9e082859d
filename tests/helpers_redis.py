"""A real redis-server for the tests that need one (rate limits shared between instances,
readiness). Import the fixtures into a test module: ``from helpers_redis import redis_url``."""

from __future__ import annotations

import os
import socket
import subprocess
import time

import pytest
import redis

REDIS_SERVER = "/usr/bin/redis-server"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def closed_redis_url() -> str:
    """A Redis URL on a local port where nothing listens."""
    return f"redis://127.0.0.1:{free_port()}/0"


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    assert os.access(REDIS_SERVER, os.X_OK), f"{REDIS_SERVER} is missing: these tests need a real Redis"
    port = free_port()
    workdir = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--daemonize", "no", "--dir", str(workdir)],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url, socket_connect_timeout=1)
    deadline = time.monotonic() + 10
    try:
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"redis-server did not start on port {port} (exit code {proc.poll()})")
                time.sleep(0.05)
        yield url
    finally:
        client.close()
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def redis_url(redis_server) -> str:
    """The module's Redis, emptied for this test."""
    client = redis.Redis.from_url(redis_server)
    client.flushall()
    client.close()
    return redis_server


def redis_keys(url: str) -> list[str]:
    client = redis.Redis.from_url(url, decode_responses=True)
    try:
        return list(client.scan_iter("*"))
    finally:
        client.close()
