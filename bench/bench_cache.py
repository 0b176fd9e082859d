#!/usr/bin/env python
"""Cache benchmark (issue 13): ``redis-benchmark -q -t set,get`` against a cloudfold cache (seed
003 ``POST /caches``: redis-server in a container on the local engine, reached through its
published port) against a plain ``redis-server`` started on the host with the same settings (the
floor).

    python bench/bench_cache.py [--requests 100000] [--clients 50] [--rounds 3] [--json]

What it does: starts the stack of bench/localcloud_stack.py (private Podman service, images,
``cloudfold serve``), creates a 64 MB cache and starts the host's ``/usr/bin/redis-server`` on a
free 127.0.0.1 port with ``--maxmemory 64mb --save '' --appendonly no`` and a password, as the
cache runs; then, ``--rounds`` times and alternating the two (so drift of the shared machine hits
both alike), runs ``redis-benchmark -h 127.0.0.1 -p PORT -a PASSWORD -t set,get -n N -c C -q``
(3 bytes of payload, its default) and keeps each test's requests/s; it prints the median per
test and its ratio to the floor. Both servers are the same Debian redis-server binary, so the
difference is the container's network path (the published port's NAT) and its limits.
"""

from __future__ import annotations

import argparse
import json
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import common
import localcloud_stack
from common import loadavg, machine
from localcloud_stack import until

TESTS = ("SET", "GET")


def redis_benchmark(port: int, password: str, requests: int, clients: int) -> dict[str, float]:
    out = subprocess.run(["redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-a", password, "-t", "set,get",
                          "-n", str(requests), "-c", str(clients), "-q"],
                         capture_output=True, text=True, timeout=300, check=True).stdout
    found = {m.group(1): float(m.group(2)) for m in re.finditer(r"^(\w+): ([\d.]+) requests per second", out, re.M)}
    if set(found) != set(TESTS):
        raise RuntimeError(f"redis-benchmark printed no figures:\n{out}")
    return found


def host_redis(workdir: Path, password: str) -> tuple[subprocess.Popen, int]:
    port = common.free_port()
    conf = workdir / "redis.conf"
    conf.write_text(f"requirepass {password}\n")  # in a file, as the cache has it
    proc = subprocess.Popen(["redis-server", str(conf), "--bind", "127.0.0.1", "--port", str(port),
                             "--maxmemory", "64mb", "--maxmemory-policy", "allkeys-lru", "--save", "",
                             "--appendonly", "no", "--dir", str(workdir)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    until(lambda: subprocess.run(["redis-cli", "-p", str(port), "--no-auth-warning", "-a", password, "PING"],
                                 capture_output=True, text=True, timeout=10).stdout.strip() == "PONG", 20)
    return proc, port


def run(args, log) -> dict:
    with localcloud_stack.stack(log) as s, tempfile.TemporaryDirectory(prefix="cloudfold-bench-redis-") as tmp:
        cache = s.api("POST", "/caches", {"name": "bench", "memory_mb": 64})
        password = secrets.token_urlsafe(24)
        floor, floor_port = host_redis(Path(tmp), password)
        try:
            runs: dict[str, list[dict[str, float]]] = {"floor": [], "cache": []}
            for n in range(args.rounds):
                runs["floor"].append(redis_benchmark(floor_port, password, args.requests, args.clients))
                runs["cache"].append(redis_benchmark(cache["endpoint"]["port"], cache["password"], args.requests,
                                                     args.clients))
                log(f"  round {n + 1}: floor {runs['floor'][-1]}, cache {runs['cache'][-1]}")
            figures = s.api("GET", f"/caches/{cache['id']}")
            s.api("DELETE", f"/caches/{cache['id']}")
        finally:
            common.stop_server(floor)
        return {"rps": {who: {t: statistics.median(r[t] for r in rounds) for t in TESTS}
                        for who, rounds in runs.items()},
                "rounds": runs, "cache_stats": figures.get("stats"), "endpoint": cache["endpoint"]}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--requests", type=int, default=100_000, help="requests per test (redis-benchmark -n)")
    p.add_argument("--clients", type=int, default=50, help="parallel connections (redis-benchmark -c)")
    p.add_argument("--rounds", type=int, default=3, help="alternating rounds; the median is shown (default 3)")
    p.add_argument("--json", action="store_true", help="print one JSON document instead of the table")
    args, log, before = common.begin(p, argv)
    result = run(args, log)
    doc = {"machine": machine(), "load_before": before, "load_after": loadavg(), **vars(args), **result}
    if args.json:
        print(json.dumps(doc, indent=2, default=str))
        return 0
    rps = result["rps"]
    rows = [[t, f"{rps['floor'][t]:,.0f}", f"{rps['cache'][t]:,.0f}", f"{rps['cache'][t] / rps['floor'][t]:.2f}"]
            for t in TESTS]
    print(common.machine_line(doc["machine"]))
    print(f"redis-benchmark -t set,get -n {args.requests} -c {args.clients} -q, median of {args.rounds} rounds; "
          f"load average before {before}, after {doc['load_after']}")
    print(common.markdown_table(["test", "host redis-server (floor) req/s", "cloudfold cache req/s", "cache / floor"],
                                rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
