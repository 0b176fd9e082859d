"""Fixtures for the load balancer and gateway tests: a local-cloud app (localcloud_support)
whose proxy listens on ports of this test's own (a random LB port range and gateway port),
checks health every second, and is stopped after the test; busybox httpd instances that
answer their own hostname at /who."""

from __future__ import annotations

import urllib.error
import urllib.request
import uuid
from collections import Counter
from pathlib import Path

import pytest

import slots

from cloudfold.proxy import Haproxy
from engine import IMAGE
from helpers_api import wait_until
from localcloud_support import POOL, free_port, make

SERVE = ["sh", "-c", "hostname > /www/who && exec httpd -f -p 8080 -h /www"]
FAST = {"interval_s": 1, "timeout_s": 1, "healthy_threshold": 1, "unhealthy_threshold": 1}


# below the kernel's ephemeral ports (32768-60999): a listener there fails when an outgoing
# connection of any process on the host happens to use the same local port
BLOCKS_FROM, BLOCKS_TO = 31000, 32760  # above the default lb_port_range, which served apps use


def free_block(size: int = 20) -> int:
    """The first of ``size`` ports, none held on the host, from this process's slot."""
    for _ in range(100):
        low = slots.pick(BLOCKS_FROM, BLOCKS_TO, size)
        if all(slots.bindable(port) for port in range(low, low + size)):
            return low
    raise RuntimeError("no free block of ports in this test process's slot")


@pytest.fixture
def ports():
    low = free_block()
    return {"lb_port_range": f"{low}-{low + 9}", "gateway_port": low + 10}


def stop_proxy(client, data_dir: Path) -> None:
    """Stop the app's jobs first (its supervisor would start the proxy again), then the proxy."""
    client.app.state.runtime.queue.stop()
    Haproxy(data_dir / "proxy", "/usr/sbin/haproxy").stop()


def proxied(make_client, engine_socket, ports, tmp_path, **settings):
    """An app on the local engine whose proxy listens on this test's ports and is checked every
    second, stopped after the test (``yield from`` it in a fixture)."""
    c = make_client(auto_register_local=True, docker_host=engine_socket, local_vpc_pool=POOL,
                    proxy_supervise_seconds=1, **ports, **settings)
    yield c
    stop_proxy(c, Path(tmp_path) / "data")


@pytest.fixture
def client(make_client, engine_socket, ports, tmp_path):
    yield from proxied(make_client, engine_socket, ports, tmp_path)


def web(account, name: str | None = None) -> dict:
    """An httpd instance on a random free host port of the range (not "0:8080", the first free
    one: other test sessions on this engine publish ports too)."""
    return make(account, "/instances", {"name": name or f"w-{uuid.uuid4().hex[:6]}", "image": IMAGE,
                                        "command": SERVE, "ports": [f"{free_port()}:8080"]})


def lb(account, status: int = 201, **fields) -> dict:
    body = {"name": f"lb-{uuid.uuid4().hex[:6]}", "health_check": FAST, **fields}
    return make(account, "/loadbalancers", body, status)


def attach(account, lb_id: str, instance_id: str, port: int = 8080, status: int = 201) -> dict:
    return make(account, f"/loadbalancers/{lb_id}/targets", {"instance_id": instance_id, "port": port}, status)


def fetch(url: str, timeout: float = 5.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def until(predicate, seconds: float = 20.0):
    return wait_until(predicate, seconds, "the load balancer condition")


def states(account, lb_id: str) -> dict[str, str]:
    r = account.client.get(f"/loadbalancers/{lb_id}", headers=account.headers)
    assert r.status_code == 200, r.text
    return {t["instance_id"]: t["state"] for t in r.json()["targets"]}


def hits(address: str, n: int) -> Counter:
    """Who answered ``n`` GETs of ``address/who`` (each instance answers its hostname), once
    the balancer answers at all: for a moment after a reload (a target attached) it can answer
    503 though every target reads healthy (seen once in CI on PostgreSQL's run; see
    docs/architecture.md, load balancers, known limits)."""
    wait_until(lambda: fetch(f"{address}/who")[0] == 200, timeout=10)
    seen: Counter = Counter()
    for _ in range(n):
        status, body = fetch(f"{address}/who")
        assert status == 200, body
        seen[body.strip().decode()] += 1
    return seen


def all_healthy(member, lb_id: str, count: int):
    return lambda: (s := states(member, lb_id)) and len(s) == count and set(s.values()) == {"healthy"}
