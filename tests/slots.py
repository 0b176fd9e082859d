"""Each test process's own stretch of what every process on the host shares: engine network
pools, host ports for load balancers, caches and published instances.

scripts/test-all runs several pytest processes at once (the PostgreSQL run, and the SQLite run
spread over pytest-xdist workers) against one Podman storage and one host network. Each picks
its numbers at random, but only inside its slot's band, so two processes never draw the same
pool or port stretch. The slot is `CLOUDFOLD_TEST_SLOT` (the PostgreSQL run's is 0) plus one
per xdist worker (`gw0` → +1, `gw1` → +2, ...)."""

from __future__ import annotations

import os
import random
import socket

SLOTS = 4


def slot() -> int:
    base = int(os.environ.get("CLOUDFOLD_TEST_SLOT", "0"))
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    return (base + (int(worker[2:]) + 1 if worker.startswith("gw") else 0)) % SLOTS


def pick(low: int, high: int, step: int = 1) -> int:
    """A random multiple of ``step`` past ``low``, inside this slot's quarter of [low, high);
    a stretch of ``step`` from it stays inside the quarter."""
    width = (high - low) // SLOTS // step * step
    return low + slot() * width + random.randrange(0, width - step + 1, step)


def bindable(port: int, host: str = "127.0.0.1") -> bool:
    """Whether nothing on the host holds ``port`` (a TCP bind succeeds)."""
    with socket.socket() as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True
