#!/usr/bin/env python
"""Local cloud benchmark: create + start and delete of N instances through cloudfold's API
(seed 003 ``POST /instances`` and ``DELETE /instances/{id}``), against the same operations
made directly with the ``docker`` SDK on the same engine (the floor).

    python bench/bench_instances.py [--count N] [--json]

What it does, end to end:

1. starts a private Podman API service on a socket in a throwaway directory, as the test
   suite does (tests/podman_service.py), and builds cloudfold's busybox image into it with
   ``cloudfold images build``;
2. makes a throwaway data dir, runs ``cloudfold migrate``, creates an admin and an API key,
   starts ``cloudfold serve`` (one worker, background schedule pushed out) and registers a
   ``local`` account for that socket through ``POST /api/providers``;
3. N times, alternating the two so drift of the machine hits both alike:
   - the floor: ``containers.create(image, ["sleep", "3600"], name, labels)`` + ``start()``;
   - cloudfold: ``POST /instances {"name", "image", "command": ["sleep", "3600"]}`` (the
     answer comes once the container runs and its record is stored);
4. then deletes every one the same way (``container.remove(force=True)`` against
   ``DELETE /instances/{id}``), alternating again;
5. prints p50/p99/mean per operation and the ratio to the floor, and cleans up (server,
   containers, engine service, data dir). Only 127.0.0.1 and the private socket are used.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

import common
from common import loadavg, machine

LABEL = "cloudfold.bench"
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
import podman_service  # noqa: E402  (tests/podman_service.py: the engine the test suite runs too)


def api(base: str, key: str, method: str, path: str, body: dict | None = None, timeout: float = 120) -> dict:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers={"X-API-Key": key, "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read() or b"{}")


def timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn()
    return (time.perf_counter() - start) * 1000, out


def summary(ms: list[float]) -> dict:
    ordered = sorted(ms)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return {"n": len(ms), "p50": statistics.median(ordered), "p99": p99, "mean": statistics.fmean(ordered)}


def run(count: int, log) -> dict:
    import docker

    with tempfile.TemporaryDirectory(prefix="cloudfold-bench-") as tmp:
        tmpdir = Path(tmp)
        engine_proc, url = podman_service.start(tmpdir)
        server = None
        client = docker.DockerClient(base_url=url, timeout=120)
        try:
            env = common.server_env(tmpdir / "data", common.DEFAULT_RATE_LIMIT,
                                    CLOUDFOLD_SCHEDULE_TICK_SECONDS="86400",
                                    CLOUDFOLD_HOUSEKEEPING_INTERVAL_SECONDS="86400",
                                    CLOUDFOLD_AUTO_REGISTER_LOCAL="false")
            common.cli(env, "images", "build", "--docker-host", url, timeout=600)  # cloudfold/busybox:1
            image = "cloudfold/busybox:1"
            log(f"engine {url}; image {image}")
            server, base, key = common.serve(env, tmpdir)
            api(base, key, "POST", "/api/providers",
                {"id": "bench", "provider_type": "local", "display_name": "bench engine",
                 "config": {"docker_host": url, "labels": {LABEL: "1"}}})
            times: dict[str, list[float]] = {"floor create+start": [], "cloudfold create+start": [],
                                             "floor delete": [], "cloudfold delete": []}
            floor_made, cf_made = [], []
            tag = uuid.uuid4().hex[:6]
            for i in range(count):
                def floor_create(i=i):
                    c = client.containers.create(image, ["sleep", "3600"], name=f"floor-{tag}-{i}",
                                                 labels={LABEL: "1"})
                    c.start()
                    return c
                ms, c = timed(floor_create)
                times["floor create+start"].append(ms)
                floor_made.append(c)
                ms, inst = timed(lambda i=i: api(base, key, "POST", "/instances",
                                                 {"name": f"cf-{tag}-{i}", "image": image,
                                                  "command": ["sleep", "3600"]}))
                if inst.get("status") != "running":
                    raise RuntimeError(f"instance not running after create: {inst}")
                times["cloudfold create+start"].append(ms)
                cf_made.append(inst["id"])
                if (i + 1) % 10 == 0:
                    log(f"  {i + 1} created each way")
            for c, inst_id in zip(floor_made, cf_made):
                times["floor delete"].append(timed(lambda c=c: c.remove(force=True))[0])
                times["cloudfold delete"].append(timed(lambda i=inst_id: api(base, key, "DELETE", f"/instances/{i}"))[0])
            left = client.containers.list(all=True, filters={"label": f"{LABEL}=1"})
            return {"times": {k: summary(v) for k, v in times.items()}, "left_on_engine": len(left)}
        finally:
            if server is not None:
                common.stop_server(server)
            for c in client.containers.list(all=True, filters={"label": f"{LABEL}=1"}):
                c.remove(force=True)
            client.close()
            common.stop_server(engine_proc)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--count", type=int, default=50, help="instances each way (default 50)")
    p.add_argument("--json", action="store_true", help="print one JSON document instead of the table")
    args = p.parse_args(argv)
    log = (lambda *a: None) if args.json else (lambda *a: print(*a, file=sys.stderr, flush=True))
    common.on_signals_unwind()
    before = loadavg()
    result = run(args.count, log)
    doc = {"machine": machine(), "count": args.count, "load_before": before, "load_after": loadavg(), **result}
    if args.json:
        print(json.dumps(doc, indent=2))
        return 0
    t = result["times"]
    rows = []
    for op in ("create+start", "delete"):
        floor, cf = t[f"floor {op}"], t[f"cloudfold {op}"]
        for who, s in (("docker SDK (floor)", floor), ("cloudfold API", cf)):
            rows.append([op, who, f"{s['p50']:.1f}", f"{s['p99']:.1f}", f"{s['mean']:.1f}",
                         f"{s['p50'] / floor['p50']:.2f}", f"{s['p99'] / floor['p99']:.2f}"])
    print(common.machine_line(doc["machine"]))
    print(f"{args.count} instances each way; load average before {before}, after {doc['load_after']}")
    print(common.markdown_table(["operation", "through", "p50 ms", "p99 ms", "mean ms", "p50 / floor", "p99 / floor"],
                                rows, left=2))
    print(f"containers left on the engine: {result['left_on_engine']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
