"""The stack the issue 13 benchmarks run on (bench_loadbalancer, bench_autoscaling, bench_cache):
a private Podman API service (tests/podman_service.py, as the test suite runs it) with
cloudfold's busybox and Redis images built into it (`cloudfold images build`), a throwaway data
dir, an admin with an API key, a `cloudfold serve` process whose load balancers, gateway and
published ports use ports of their own, and a `local` account on that engine whose objects carry
one label. On the way out: the server, the HAProxy it started, every labelled container and
network, the engine service and the data dir go. Only 127.0.0.1 and the private socket are used.
"""

from __future__ import annotations

import contextlib
import json
import random
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import common

LABEL = "cloudfold.bench"
BUSYBOX = "cloudfold/busybox:1"
# busybox httpd answering its hostname at /who (as tests/lb_support.py's instances)
SERVE = ["sh", "-c", "hostname > /www/who && exec httpd -f -p 8080 -h /www"]
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
import podman_service  # noqa: E402  (tests/podman_service.py)


@dataclass
class Stack:
    base: str  # the cloudfold server
    key: str  # an admin's API key
    engine_url: str
    engine: object  # docker.DockerClient on the private engine
    data_dir: Path
    gateway_port: int

    def api(self, method: str, path: str, body: dict | None = None, timeout: float = 120) -> dict | list:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"X-API-Key": self.key, "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return json.loads(r.read() or b"{}")

    def container(self, instance_id: str):
        [found] = self.engine.containers.list(all=True, filters={"label": [f"{LABEL}=1",
                                                                            f"cloudfold.id={instance_id}"]})
        return found


def until(predicate, seconds: float, step: float = 0.1):
    for _ in range(int(seconds / step) + 1):
        if value := predicate():
            return value
        time.sleep(step)
    raise RuntimeError(f"not true within {seconds}s")


@contextlib.contextmanager
def stack(log, **settings: str) -> Iterator[Stack]:
    """The running stack; ``settings`` are extra CLOUDFOLD_* variables of the server."""
    import docker

    with tempfile.TemporaryDirectory(prefix="cloudfold-bench-") as tmp:
        tmpdir = Path(tmp)
        engine_proc, url = podman_service.start(tmpdir)
        client = docker.DockerClient(base_url=url, timeout=120)
        server = None
        low = random.randrange(31000, 38900, 100)  # LB ports and the gateway of this run's own
        publish = random.randrange(21000, 29800, 100)
        env = common.server_env(tmpdir / "data", common.DEFAULT_RATE_LIMIT,
                                CLOUDFOLD_AUTO_REGISTER_LOCAL="false", CLOUDFOLD_MONITOR_ENGINE="false",
                                CLOUDFOLD_METRICS_SAMPLE_SECONDS="86400", CLOUDFOLD_ALERT_EVAL_SECONDS="86400",
                                CLOUDFOLD_LB_PORT_RANGE=f"{low}-{low + 49}", CLOUDFOLD_GATEWAY_PORT=str(low + 50),
                                CLOUDFOLD_PUBLISH_PORT_RANGE=f"{publish}-{publish + 99}", **settings)
        try:
            common.cli(env, "images", "build", "--docker-host", url, timeout=600)  # busybox and redis
            server, base, key = common.serve(env, tmpdir)
            s = Stack(base, key, url, client, tmpdir / "data", low + 50)
            s.api("POST", "/api/providers", {"id": "local", "provider_type": "local", "display_name": "bench engine",
                                             "config": {"docker_host": url, "labels": {LABEL: "1"}}})
            log(f"engine {url}; cloudfold {base}")
            yield s
        finally:
            if server is not None:
                common.stop_server(server)
            from cloudfold.proxy import Haproxy

            Haproxy(tmpdir / "data" / "proxy", "/usr/sbin/haproxy").stop()  # a stopped cloudfold leaves it serving
            for c in client.containers.list(all=True, filters={"label": f"{LABEL}=1"}):
                c.remove(force=True)
            for n in client.networks.list(filters={"label": f"{LABEL}=1"}):
                n.remove()
            client.close()
            common.stop_server(engine_proc)
