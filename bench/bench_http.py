#!/usr/bin/env python
"""HTTP benchmark of cloudfold: health endpoints (the floor) against an authenticated read.

    python bench/bench_http.py [--duration S] [--connections N] [--threads T] [--json]

What it does, end to end:

1. makes a throwaway data directory, runs ``cloudfold user create`` and
   ``cloudfold apikey create`` there to obtain an API key;
2. starts ``cloudfold serve`` on a free 127.0.0.1 port as a separate process (one uvicorn
   worker, log level WARNING, rate limits raised so that no request is refused) and waits
   for ``GET /health/live``;
3. drives load from a separate process: ``wrk`` with a small Lua script (percentiles from
   wrk's own HdrHistogram), or, when wrk is missing, an async httpx client run as a
   subprocess of this script;
4. measures ``GET /health/live`` (the floor), ``GET /health`` (one SQLite round trip) and
   ``GET /auth/keys`` with ``X-API-Key`` (API-key authentication + a listing), each after
   a short warmup, and prints requests/s, p50 and p99 and the ratio of every endpoint to the
   floor measured in the same run;
5. always stops the server (process group, SIGTERM then SIGKILL) and removes the data dir.

Only 127.0.0.1 is ever contacted. Every child process has a time bound.

About the rate limit: cloudfold counts requests with the ``limits`` library's moving window
in memory, which keeps one list entry per request in the window and inserts at the front of
that list. With a per-minute limit raised to 10^8, that list grows to (requests/s x 60)
entries under load and every request pays for an O(n) insert, so the numbers would measure
the limiter's bookkeeping and depend on the order of the endpoints (the health routes share
the key ``ip:127.0.0.1``). The default here is therefore a per-second limit
(``1000000/second``), which never refuses anything at these rates and keeps the window short.
Pass ``--rate-limit 100000000/minute`` to see the other regime.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

import common
from common import (  # noqa: F401  (re-exported: the pieces this script used to define itself)
    EMAIL,
    HOST,
    PASSWORD,
    Endpoint,
    Result,
    cloudfold_cmd,
    free_port,
    http_get,
    loadavg,
    machine,
    run_httpx,
    run_wrk,
    server_env,
    stop_server,
    tail,
    wait_ready,
)

ENDPOINTS = [
    Endpoint("live", "/health/live", False),  # the floor
    Endpoint("health", "/health", False),
    Endpoint("auth_keys", "/auth/keys", True),
]
FLOOR = "live"


def combine(name: str, runs: list[dict]) -> Result:
    """One result per endpoint: the round with the median requests/s (all rounds kept)."""
    return common.combine(next(e for e in ENDPOINTS if e.name == name), runs)


table = common.table


# -------------------------------------------------------------------- main

def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    common.add_load_args(p)
    p.add_argument("--_loadgen", help=argparse.SUPPRESS)  # kept: the old child mode, now in common.py
    p.add_argument("--_headers", default="{}", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    common.check_load_args(p, args)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args._loadgen:  # child mode: the httpx fallback load generator
        out = asyncio.run(common.loadgen(args._loadgen, json.loads(args._headers), args.duration, args.connections))
        print(json.dumps(out))
        return 0

    wrk = common.find_wrk(args.tool)
    log = (lambda *a: None) if args.json else (lambda *a: print(*a, file=sys.stderr, flush=True))
    common.on_signals_unwind()  # SIGTERM/SIGHUP: unwind through the finally below

    started = time.time()
    load_before = loadavg()
    with tempfile.TemporaryDirectory(prefix="cloudfold-bench-") as tmp:
        tmpdir = Path(tmp)
        data_dir = tmpdir / "data"
        env = server_env(data_dir, args.rate_limit, **common.QUIET_BACKGROUND)
        log(f"data dir {data_dir}")
        api_key = common.admin_key(env)

        port = free_port()
        base = f"http://{HOST}:{port}"
        server_log = tmpdir / "server.log"
        proc = common.start_server(env, port, server_log)
        try:
            wait_ready(proc, base, timeout=60, log=server_log)
            log(f"server pid {proc.pid} live on {base}; load: {'wrk' if wrk else 'httpx (wrk not found)'}")

            def headers_for(ep: Endpoint) -> dict[str, str]:
                return {"X-API-Key": api_key} if ep.auth else {}

            for ep in ENDPOINTS:  # each endpoint answers 200 before any load
                status, body = http_get(base + ep.path, headers_for(ep))
                if status != 200:
                    raise RuntimeError(f"GET {ep.path} -> {status}: {body[:300]!r}")

            load = common.make_loader(wrk, base, args, tmpdir, headers_for)
            runs = common.measure(ENDPOINTS, load, args, proc, server_log, log)
        finally:
            stop_server(proc)
        server_rc = proc.returncode
    load_after = loadavg()

    results = [combine(ep.name, runs[ep.name]) for ep in ENDPOINTS]
    floor = common.with_ratios(results, FLOOR)

    config = {"duration_s": args.duration, "warmup_s": args.warmup, "connections": args.connections,
              "threads": args.threads if wrk else None, "rounds": args.rounds, "rate_limit": args.rate_limit,
              "tool": "wrk" if wrk else "httpx", "server": "cloudfold serve (1 uvicorn worker), SQLite, log WARNING",
              "floor": f"GET {floor.path}"}
    doc = {"date": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)), "machine": machine(),
           "config": config, "results": [asdict(r) for r in results], "server_exit_code": server_rc,
           "loadavg_before": load_before, "loadavg_after": load_after}
    keys = next(r for r in results if r.name == "auth_keys")
    doc["auth_keys_vs_floor"] = {"rps_ratio": keys.rps_ratio, "p50_ratio": keys.p50_ratio}

    if args.json:
        print(json.dumps(doc, indent=2))
    else:
        print(common.machine_line(doc["machine"]))
        print(f"{config['tool']}: {config['threads'] or ''}{' threads, ' if config['threads'] else ''}"
              f"{args.connections} connections, {args.duration:g} s per endpoint after {args.warmup:g} s warmup, "
              f"{args.rounds} round(s); rate limits {args.rate_limit}")
        print(f"load average before {load_before}, after {load_after} (other work on the machine skews results)\n")
        print(table(results))
        print(f"\nGET /auth/keys vs floor (GET {floor.path}): {keys.rps_ratio:.2f}x the requests/s, "
              f"{keys.p50_ratio:.2f}x the p50 latency")
        bad = [r for r in results if r.non_2xx or r.socket_errors]
        if bad:
            print("WARNING: non-2xx responses or socket errors: " + ", ".join(r.path for r in bad))
    return 0


if __name__ == "__main__":
    sys.exit(main())
