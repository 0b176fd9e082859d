"""Issue 13's done-when, in one pass over HTTP as a new user with an API key, on the real HAProxy,
Podman and Redis: a group of three busybox httpd instances behind a load balancer; traffic spread
over all three; one instance killed on the engine and replaced by the *scheduled* reconcile job
while traffic keeps being answered by the others; the balancer published under /shop on the
gateway; a 64 MB cache used with the real `redis-cli`; everything deleted, and nothing of the
test's left on the engine or in the proxy's configuration."""

from __future__ import annotations

import subprocess
import threading
import time
import uuid
from pathlib import Path

import docker
import pytest

import slots

from caches_support import redis_image  # noqa: F401  (fixture)
from engine import IMAGE
from lb_support import FAST, SERVE, fetch, hits, ports, stop_proxy, until  # noqa: F401  (fixture)
from localcloud_support import LABELS, POOL, labelled_local_account  # noqa: F401  (fixture)

from cloudfold.drivers.local.provision import ID_LABEL

# the reconcile lease and the quota claims are conditional UPDATEs and row locks; redis-cli
# (Debian's redis-tools) is installed by scripts/install-test-deps: no skip for want of it
pytestmark = pytest.mark.database

MINE = [f"{k}={v}" for k, v in LABELS.items()]
PUBLISH_FROM = slots.pick(21000, 29800, 100)  # host ports of this session's own (see test_caches)


@pytest.fixture
def client(make_client, engine_socket, ports, tmp_path):  # noqa: F811
    c = make_client(auto_register_local=True, docker_host=engine_socket, local_vpc_pool=POOL,
                    publish_port_range=f"{PUBLISH_FROM}-{PUBLISH_FROM + 99}", proxy_supervise_seconds=1,
                    autoscaling_interval_seconds=2, **ports)
    yield c
    stop_proxy(c, Path(tmp_path) / "data")


class User:
    """A new user, signed up over HTTP, calling the API with an API key of their own."""

    def __init__(self, client) -> None:
        email = f"new-{uuid.uuid4().hex[:10]}@example.com"
        password = "a long enough password 1"
        r = client.post("/auth/register", json={"email": email, "password": password, "name": "New User"})
        assert r.status_code == 201, r.text
        r = client.post("/auth/login", json={"email": email, "password": password})
        assert r.status_code == 200, r.text
        r = client.post("/auth/keys", json={"name": "done-when"}, headers={"X-API-Key": r.json()["api_key"]})
        assert r.status_code == 201, r.text
        self.client, self.headers = client, {"X-API-Key": r.json()["key"]}

    def call(self, method: str, path: str, status: int = 200, **body):
        r = self.client.request(method, path, json=body or None, headers=self.headers)
        assert r.status_code == status, r.text
        return r.json()


class Traffic(threading.Thread):
    """GETs of ``url`` one after another until stopped, counting answers and failures."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url, self.ok, self.failed, self.halt = url, 0, [], threading.Event()

    def run(self) -> None:
        while not self.halt.is_set():
            status, body = fetch(self.url, timeout=5)
            if status == 200:
                self.ok += 1
            else:
                self.failed.append((status, body[:80]))
            time.sleep(0.02)

    def stop(self) -> None:
        self.halt.set()
        self.join(10)


def engine_objects(engine_socket: str) -> list[str]:
    engine = docker.DockerClient(base_url=engine_socket, timeout=60)
    try:
        return ([c.name for c in engine.containers.list(all=True, filters={"label": MINE})]
                + [v.name for v in engine.volumes.list(filters={"label": MINE})]
                + [n.name for n in engine.networks.list(filters={"label": MINE})])
    finally:
        engine.close()


def kill(engine_socket: str, instance_id: str) -> None:
    """`podman kill` through the docker client: the instance's container dies under the group."""
    engine = docker.DockerClient(base_url=engine_socket, timeout=60)
    try:
        [container] = engine.containers.list(filters={"label": [*MINE, f"{ID_LABEL}={instance_id}"]})
        container.kill()
    finally:
        engine.close()


def redis_cli(endpoint: dict, *lines: str) -> list[str]:
    """The real redis-cli, fed commands on stdin (so the password is in no command line)."""
    out = subprocess.run(["redis-cli", "-h", endpoint["host"], "-p", str(endpoint["port"])],
                         input="\n".join(lines) + "\n", capture_output=True, text=True, timeout=20, check=True)
    return out.stdout.splitlines()


def test_done_when(client, engine_socket, ports, redis_image, tmp_path):  # noqa: F811
    user = User(client)

    # a group of three web instances behind a load balancer
    balancer = user.call("POST", "/loadbalancers", 201, name="shop", health_check={**FAST, "path": "/who"})
    group = user.call("POST", "/autoscaling/groups", 201, name="web", min_size=3, max_size=3, desired_capacity=3,
                      load_balancer_id=balancer["id"], target_port=8080, health_check_grace_s=0,
                      launch_template={"image": IMAGE, "command": SERVE, "ports": ["8080"]})

    def members() -> set[str]:
        return {i["id"] for i in user.call("GET", f"/autoscaling/groups/{group['id']}")["instances"]
                if i["status"] == "running"}

    def healthy(expected: int):
        return lambda: ((s := states()) and len(s) == expected and set(s.values()) == {"healthy"}
                        and set(s) == members())

    def states() -> dict[str, str]:
        return {t["instance_id"]: t["state"] for t in user.call("GET", f"/loadbalancers/{balancer['id']}")["targets"]}

    until(lambda: len(members()) == 3, 90)
    until(healthy(3), 60)
    spread = hits(balancer["address"], 30)
    assert len(spread) == 3 and min(spread.values()) >= 8, spread  # round robin over all three

    # kill one: the scheduled reconcile job replaces it while traffic goes on through the others
    first = members()
    victim = min(first)
    traffic = Traffic(f"{balancer['address']}/who")
    traffic.start()
    try:
        time.sleep(1)
        kill(engine_socket, victim)
        until(lambda: victim not in (now := members()) and len(now) == 3, 90)
        until(healthy(3), 60)
        time.sleep(1)
    finally:
        traffic.stop()
    assert traffic.ok >= 20 and traffic.failed == [], (traffic.ok, traffic.failed)
    replaced = [a for a in user.call("GET", f"/autoscaling/groups/{group['id']}/activities")
                if a["action"] == "terminate" and a["instance_id"] == victim]
    assert replaced and replaced[0]["status"] == "succeeded", replaced
    assert len(hits(balancer["address"], 30)) == 3  # the new one takes its share

    # published under /shop on the gateway
    route = user.call("POST", "/routes", 201, name="shop", prefix="/shop", target=balancer["id"], strip_prefix=True)
    gateway = f"http://127.0.0.1:{ports['gateway_port']}"
    until(lambda: fetch(f"{gateway}/shop/who")[0] == 200, 20)
    seen = {fetch(f"{gateway}/shop/who")[1].strip().decode() for _ in range(12)}
    assert len(seen) == 3, seen
    assert fetch(f"{gateway}/elsewhere")[0] == 404

    # a 64 MB cache, used with redis-cli
    cache = user.call("POST", "/caches", 201, name="sessions", memory_mb=64)
    assert cache["endpoint"] and cache["password"]
    out = redis_cli(cache["endpoint"], f"AUTH {cache['password']}", "SET greeting hello", "GET greeting",
                    "CONFIG GET maxmemory")
    assert out == ["OK", "OK", "hello", "maxmemory", "67108864"], out
    assert redis_cli(cache["endpoint"], "GET greeting")[0].startswith("NOAUTH"), "a cache without its password"
    figures = user.call("GET", f"/caches/{cache['id']}")
    assert figures["status"] == "running" and figures["stats"]["keys"] == 1, figures

    # delete everything: nothing of it is left on the engine nor in the proxy
    user.call("DELETE", f"/routes/{route['id']}", 200)
    deleted = user.call("DELETE", f"/autoscaling/groups/{group['id']}", 200)
    assert deleted["status"] == "deleted", deleted
    user.call("DELETE", f"/loadbalancers/{balancer['id']}", 200)
    user.call("DELETE", f"/caches/{cache['id']}", 200)
    for path in ("/routes", "/autoscaling/groups", "/loadbalancers", "/caches"):
        assert user.call("GET", path) == [], path
    assert [i for i in user.call("GET", "/instances") if i["status"] != "terminated"] == []
    until(lambda: engine_objects(engine_socket) == [], 30)
    config = (Path(tmp_path) / "data" / "proxy" / "haproxy.cfg").read_text()
    for gone in (balancer["id"], route["id"], str(balancer["port"]), "/shop"):
        assert gone not in config, (gone, config)
    assert fetch(f"{gateway}/shop/who")[0] == 404
