#!/usr/bin/env python
"""Memory soak of one `cloudfold serve` process under the read path's load.

    python bench/bench_soak.py [--resources N] [--minutes M] [--slice S] [--json]

Makes a throwaway data directory with N resources (default 100,000, as bench_inventory.py),
starts the server, then for M minutes (default 10) drives it with wrk in slices of S seconds
(default 30), each slice on the next of: the inventory page, a filtered page, seed 001's
resource list, /dashboard/stats and /auth/keys, all with an API key. After every slice it
reads the server's VmRSS. The floor is the RSS after the first full round of endpoints
(everything imported, caches and pools warm); the report gives each slice's RSS and req/s,
the ratio of the final RSS to the floor, and the growth over the second half of the run,
which is what "flat" means: a leak grows steadily, a warm process levels off.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import common
from bench_inventory import populate
from common import HOST, Endpoint, loadavg, server_env, stop_server, wait_ready

ROTATION = [
    Endpoint("vms", "/inventory/vms?limit=100", True),
    Endpoint("vms_filtered", "/inventory/vms?provider=aws&status=running&limit=100", True),
    Endpoint("api_resources_vm", "/api/resources?resource_type=vm&limit=100", True),
    Endpoint("dashboard", "/dashboard/stats", True),
    Endpoint("auth_keys", "/auth/keys", True),
]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--resources", type=int, default=100_000)
    p.add_argument("--minutes", type=float, default=10.0)
    p.add_argument("--slice", type=float, default=30.0, help="seconds of load between two RSS readings")
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--json", action="store_true")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    wrk = common.find_wrk("wrk")
    if wrk is None:
        print("bench_soak needs wrk (apt-get install wrk)", file=sys.stderr)
        return 2
    log = (lambda *a: None) if args.json else (lambda *a: print(*a, file=sys.stderr, flush=True))
    common.on_signals_unwind()
    slices: list[dict] = []
    load_before = loadavg()
    with tempfile.TemporaryDirectory(prefix="cloudfold-soak-") as tmp:
        tmpdir = Path(tmp)
        env = server_env(tmpdir / "data", "1000000/second", **common.QUIET_BACKGROUND,
                         CLOUDFOLD_AUTO_REGISTER_LOCAL="false")
        common.cli(env, "migrate")
        key = common.admin_key(env)
        populate(f"sqlite:///{tmpdir / 'data' / 'cloudfold.db'}", args.resources, log)
        port = common.free_port()
        base = f"http://{HOST}:{port}"
        proc = common.start_server(env, port, tmpdir / "server.log")
        try:
            wait_ready(proc, base, timeout=60, log=tmpdir / "server.log")
            start_rss = common.memory(proc.pid)["rss_kib"]
            deadline = time.monotonic() + args.minutes * 60
            i = 0
            while time.monotonic() < deadline:
                ep = ROTATION[i % len(ROTATION)]
                run = common.run_wrk(wrk, base + ep.path, {"X-API-Key": key}, args.slice, args.threads,
                                     args.connections, tmpdir)
                mem = common.memory(proc.pid)
                slices.append({"slice": i, "endpoint": ep.path, "rps": run["requests"] / run["duration_s"],
                               "non_2xx": run["non_2xx"], "rss_kib": mem["rss_kib"], "hwm_kib": mem["hwm_kib"]})
                log(f"slice {i}: {ep.path} {slices[-1]['rps']:,.0f} req/s, RSS {common.mib(mem['rss_kib'])}")
                i += 1
        finally:
            stop_server(proc)
    warm = slices[min(len(ROTATION), len(slices)) - 1]["rss_kib"]
    half = slices[len(slices) // 2]["rss_kib"]
    end = slices[-1]["rss_kib"]
    doc = {"machine": common.machine(), "config": vars(args), "load_before": load_before, "load_after": loadavg(),
           "rss_start_kib": start_rss, "floor_rss_kib": warm, "rss_end_kib": end,
           "end_over_floor": end / warm if warm else None, "second_half_growth_kib": end - half, "slices": slices}
    if args.json:
        print(json.dumps(doc, indent=2))
        return 0
    print(common.machine_line(doc["machine"]))
    print(f"{args.resources:,} resources; {len(slices)} slices of {args.slice:g} s over {args.minutes:g} min; "
          f"load average before {load_before}, after {doc['load_after']}\n")
    print(common.markdown_table(["slice", "endpoint", "req/s", "non-2xx", "VmRSS", "VmHWM"], left=2, rows=[
        [str(s["slice"]), s["endpoint"], f"{s['rps']:,.0f}", str(s["non_2xx"]), common.mib(s["rss_kib"]),
         common.mib(s["hwm_kib"])] for s in slices]))
    print(f"\nRSS at start {common.mib(start_rss)}; floor (after the first round) {common.mib(warm)}; "
          f"end {common.mib(end)} = {doc['end_over_floor']:.2f}x the floor; "
          f"growth over the second half {(end - half) / 1024:+.1f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
