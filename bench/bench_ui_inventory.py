#!/usr/bin/env python
"""The dashboard's inventory page over 100,000 resources, against the raw API call for the
same data (the floor): server-side time of the whole HTML page, p50 over --loads serial loads.

    python bench/bench_ui_inventory.py [--resources N] [--loads L]

Seeds the database like bench_inventory.py (`populate`), starts `cloudfold serve`, signs in
through /ui/login (its CSRF token and pre-session cookie, as a browser does), then times each
pair one request at a time. Only 127.0.0.1 is contacted. The in-browser figures (first paint,
first filtered result) are bench_ui_browser.py's.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

import common
from bench_inventory import populate
from common import HOST, server_env, stop_server, wait_ready

PAIRS = [  # (what, the page, the API call for the same rows)
    ("first page of vms", "/ui/inventory?kind=vm&size=100", "/api/resources?resource_type=vm&limit=100"),
    ("filtered: aws running vms", "/ui/inventory?kind=vm&provider=aws&status=running&size=100",
     "/inventory/vms?provider=aws&status=running&limit=100"),
    ("deep page (offset 50,000)", "/ui/inventory?kind=vm&size=100&page=501",
     "/api/resources?resource_type=vm&limit=100&skip=50000"),
    ("newest first", "/ui/inventory?kind=vm&size=100&sort=newest", None),
    ("overview", "/ui", "/dashboard/stats"),
]


def p50(client: httpx.Client, path: str, loads: int, **kw) -> float:
    times = []
    for _ in range(loads + 1):  # the first is a warm-up
        t0 = time.perf_counter()
        r = client.get(path, **kw)
        times.append((time.perf_counter() - t0) * 1000)
        if r.status_code != 200:
            raise RuntimeError(f"GET {path} -> {r.status_code}: {r.text[:300]}")
    return statistics.median(times[1:])


@contextmanager
def served_inventory(resources: int, log) -> Iterator[tuple[str, str]]:
    """`cloudfold serve` over a fresh SQLite database of ``resources`` resources (`populate`):
    its base URL and the admin's (common.EMAIL) API key. Shared with bench_ui_browser.py."""
    with tempfile.TemporaryDirectory(prefix="cloudfold-bench-ui-") as tmp:
        data_dir = Path(tmp) / "data"
        env = server_env(data_dir, "1000000/second", **common.QUIET_BACKGROUND, CLOUDFOLD_AUTO_REGISTER_LOCAL="false")
        common.cli(env, "migrate")
        api_key = common.admin_key(env)
        log(f"inserting {resources:,} resources")
        populate(f"sqlite:///{data_dir / 'cloudfold.db'}", resources, log)
        port = common.free_port()
        base = f"http://{HOST}:{port}"
        proc = common.start_server(env, port, Path(tmp) / "server.log")
        try:
            wait_ready(proc, base, timeout=60, log=Path(tmp) / "server.log")
            yield base, api_key
        finally:
            stop_server(proc)


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--resources", type=int, default=100_000)
    p.add_argument("--loads", type=int, default=10)
    args = p.parse_args()
    log = lambda *a: print(*a, file=sys.stderr, flush=True)  # noqa: E731
    with served_inventory(args.resources, log) as (base, api_key), httpx.Client(base_url=base, timeout=60) as browser:
        form = browser.get("/ui/login").text
        token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', form).group(1)
        r = browser.post("/ui/login", data={"email": common.EMAIL, "password": common.PASSWORD,
                                            "csrf_token": token})
        if r.status_code != 303:
            raise RuntimeError(f"sign-in failed: {r.status_code} {r.text[:300]}")
        print(f"| {args.resources:,} resources | page p50 ms | API p50 ms |\n|---|---:|---:|")
        for what, page, api in PAIRS:
            ui_ms = p50(browser, page, args.loads)
            api_ms = p50(browser, api, args.loads, headers={"X-API-Key": api_key}) if api else None
            print(f"| {what} | {ui_ms:.1f} | {'' if api_ms is None else f'{api_ms:.1f}'} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
