#!/usr/bin/env python
"""Inventory benchmark of cloudfold: listing, filtering and deep paging over 100,000 resources.

    python bench/bench_inventory.py [--resources N] [--duration S] [--rounds R] [--json]

What it does, end to end:

1. makes a throwaway data directory, runs ``cloudfold migrate``, ``cloudfold user create
   --admin`` and ``cloudfold apikey create`` there;
2. registers six accounts directly in the database (3 aws, 2 proxmox, 1 local; marked as
   synced and healthy just now) and inserts N resources (default 100,000) with SQLAlchemy
   Core, 5,000 rows per executemany: kinds vm/container/storage/network, providers
   aws/proxmox/local, several regions and statuses, 2% vanished (see ``make_rows``);
3. starts ``cloudfold serve`` as a separate process (one uvicorn worker, log WARNING, rate
   limits ``1000000/second``, the scheduler tick and housekeeping pushed out to a day so no
   background sync or health check runs during the measurement, no ``local`` auto-registration);
4. drives each endpoint with wrk (or the httpx fallback) after a warmup: the floor
   ``GET /health/live``, then ``/inventory/vms?limit=100``,
   ``/inventory/vms?provider=aws&status=running&limit=100``, ``/inventory/vms?skip=90000&limit=100``,
   ``/api/resources?resource_type=vm&limit=100`` and ``/dashboard/stats``, all with ``X-API-Key``
   (``--rounds`` interleaved rounds, the median round reported), then each once more at one
   connection (``--serial-duration``: the latency of a request alone, without queueing); reads
   the server's VmRSS/VmHWM from /proc after start, before the load, after each endpoint and
   at the end. The slow pages complete in waves of 16 under this closed-loop load, so give
   them ``--duration 20`` or more (a warning says when fewer than 3 waves completed);
5. stops the server and, in this process, times the same work without HTTP: every SQL
   statement the domain function issues (captured from the engine, then re-run with the
   sqlite3 driver alone, with its ``EXPLAIN QUERY PLAN``), the domain function
   (``inventory.page`` / ``dashboard.stats``, SQL + ORM), and the domain function plus the
   response model and JSON encoding;
6. removes the data directory. Only 127.0.0.1 is contacted; every child has a time bound.

The mix is 64% vm, 31% container, 3% storage, 2% network, 2% of all vanished, so that about
93,000 live records are compute (vm + container) and ``skip=90000`` on ``/inventory/vms``
still returns a full page (hence at least 100,000 resources).
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import urllib.request
from dataclasses import asdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

import common
from common import HOST, Endpoint, http_get, loadavg, machine, server_env, stop_server, wait_ready

BATCH = 5_000
DEEP_SKIP = 90_000
ENDPOINTS = [
    Endpoint("live", "/health/live", False),  # the floor
    Endpoint("vms", "/inventory/vms?limit=100", True),
    Endpoint("vms_filtered", "/inventory/vms?provider=aws&status=running&limit=100", True),
    Endpoint("vms_deep", f"/inventory/vms?skip={DEEP_SKIP}&limit=100", True),
    Endpoint("api_resources_vm", "/api/resources?resource_type=vm&limit=100", True),
    Endpoint("dashboard", "/dashboard/stats", True),
]
FLOOR = "live"

# slug, provider type, regions
ACCOUNTS = [
    ("aws-prod", "aws", ["us-east-1", "us-west-2", "eu-west-1"]),
    ("aws-dev", "aws", ["us-east-1", "eu-central-1"]),
    ("aws-eu", "aws", ["eu-west-1", "eu-central-1", "ap-southeast-1"]),
    ("pve-lab", "proxmox", ["pve-lab"]),
    ("pve-home", "proxmox", ["pve-home"]),
    ("local", "local", ["local"]),
]
KINDS = [("vm", 64), ("container", 31), ("storage", 3), ("network", 2)]
STATUS = {  # per kind: (status, weight)
    "vm": [("running", 60), ("stopped", 30), ("pending", 4), ("stopping", 2), ("terminated", 4)],
    "container": [("running", 70), ("exited", 20), ("paused", 5), ("created", 5)],
    "storage": [("available", 90), ("in-use", 10)],
    "network": [("available", 95), ("pending", 5)],
}
INSTANCE_TYPES = ["t3.micro", "t3.small", "t3.medium", "m5.large", "c5.xlarge"]


# ------------------------------------------------------------------ data

def _pick(rng: random.Random, weighted: list[tuple[str, int]]) -> str:
    return rng.choices([v for v, _ in weighted], weights=[w for _, w in weighted])[0]


def make_rows(n: int, account_ids: dict[str, int], seed: int = 42):
    """Yield N resource rows (dicts keyed by column name) in batches of BATCH."""
    rng = random.Random(seed)
    now = datetime.now(timezone.utc)
    by_type: dict[str, list[tuple[str, list[str]]]] = {}
    for slug, ptype, regions in ACCOUNTS:
        by_type.setdefault(ptype, []).append((slug, regions))
    batch: list[dict] = []
    for i in range(n):
        kind = _pick(rng, KINDS)
        if kind == "container":  # containers live on the local engine or on proxmox (LXC)
            ptype = _pick(rng, [("local", 60), ("proxmox", 40)])
        elif kind == "vm":
            ptype = _pick(rng, [("aws", 75), ("proxmox", 25)])
        else:
            ptype = _pick(rng, [("aws", 80), ("proxmox", 20)])
        slug, regions = rng.choice(by_type[ptype])
        region = rng.choice(regions)
        status = _pick(rng, STATUS[kind])
        created = now - timedelta(minutes=rng.randrange(1, 60 * 24 * 365))
        ext = f"{kind[:3]}-{i:08x}"
        meta: dict = {"tags": {"env": rng.choice(["prod", "dev", "test"]), "team": rng.choice(["a", "b", "c"])}}
        cost = None
        if kind == "vm":
            itype = rng.choice(INSTANCE_TYPES)
            cost = round(rng.uniform(0.005, 0.4), 4)
            meta.update({"instance_type": itype, "private_ip": f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}",
                         "public_ip": None, "vpc_id": f"vpc-{i % 17:08x}", "subnet_id": f"subnet-{i % 53:08x}",
                         "launch_time": created.strftime("%Y-%m-%dT%H:%M:%SZ"), "architecture": "x86_64",
                         "availability_zone": region + "a", "image_id": "ami-0123456789abcdef0",
                         "cost_per_hour": cost})
        elif kind == "container":
            meta.update({"image": rng.choice(["nginx:1.27", "postgres:16", "redis:7", "app:latest"]),
                         "ports": ["8080/tcp"], "command": "run"})
        elif kind == "storage":
            cost = round(rng.uniform(0.001, 0.05), 4)
            meta.update({"size_gb": rng.choice([8, 20, 100, 500]), "encrypted": True, "cost_per_hour": cost})
        else:
            meta.update({"cidr_block": f"10.{i % 250}.0.0/16", "is_default": False})
        batch.append({
            "account_id": account_ids[slug], "provider": ptype, "kind": kind, "external_id": ext,
            "name": f"{slug}-{kind}-{i}", "region": region, "status": status, "metadata": meta,
            "tags": meta["tags"], "cost_per_hour": cost, "manual": False, "owner_id": None,
            "vanished": rng.random() < 0.02, "sync_generation": 1, "created_at": created,
            "updated_at": now - timedelta(seconds=rng.randrange(0, 3600)), "last_synced": now,
        })
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def populate(db_url: str, n: int, log) -> dict:
    """Accounts (ORM) and N resources (Core executemany, BATCH rows per statement)."""
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from cloudfold.db.base import utcnow
    from cloudfold.db.engine import make_engine
    from cloudfold.db.models import Account, Resource

    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            now = utcnow()
            for slug, ptype, regions in ACCOUNTS:
                session.add(Account(slug=slug, provider_type=ptype, display_name=slug, region=regions[0],
                                    config={}, is_active=True, owner_id=None, health_status="healthy",
                                    health_latency_ms=12.0, health_checked_at=now, last_sync_at=now,
                                    last_sync_status="succeeded"))
            session.commit()
            account_ids = dict(session.execute(select(Account.slug, Account.id)).all())
        t0 = time.perf_counter()
        table = Resource.__table__
        with engine.begin() as conn:
            for number, batch in enumerate(make_rows(n, account_ids), start=1):
                conn.execute(table.insert(), batch)
                if number % 5 == 0:
                    log(f"  {number * BATCH:,} rows")
        elapsed = time.perf_counter() - t0
        with engine.connect() as conn:
            counts = {k: v for k, v in conn.execute(select(Resource.kind, func.count()).group_by(Resource.kind))}
            compute_live = conn.scalar(select(func.count()).select_from(table).where(
                Resource.kind.in_(("vm", "container")), Resource.vanished.is_(False)))
            aws_running = conn.scalar(select(func.count()).select_from(table).where(
                Resource.kind.in_(("vm", "container")), Resource.vanished.is_(False), Resource.provider == "aws",
                Resource.status == "running"))
            vm_live = conn.scalar(select(func.count()).select_from(table).where(
                Resource.kind == "vm", Resource.vanished.is_(False)))
    finally:
        engine.dispose()
    return {"rows": n, "insert_s": elapsed, "rows_per_s": n / elapsed if elapsed else None, "by_kind": counts,
            "expected_totals": {"vms": compute_live, "vms_filtered": aws_running, "vms_deep": compute_live,
                                "api_resources_vm": vm_live}}


# ------------------------------------------------------------ in-process timing

def _time(fn, min_runs: int = 5, budget_s: float = 2.0) -> float:
    """Median wall time of fn() in ms over at least min_runs calls (more while within budget)."""
    times: list[float] = []
    deadline = time.perf_counter() + budget_s
    while len(times) < min_runs or (time.perf_counter() < deadline and len(times) < 200):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def in_process(db_url: str, db_path: Path, env: dict[str, str]) -> list[dict]:
    """Each endpoint's work without HTTP: raw SQL (sqlite3 alone), domain function, + response model."""
    from pydantic import TypeAdapter
    from pydantic_core import to_json
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from cloudfold.api.faces.dashboard_schemas import shape as dashboard_shape
    from cloudfold.api.faces.resource_schemas import InventoryItem, ResourceOut, inventory_item, resource_out
    from cloudfold.db.engine import make_engine
    from cloudfold.domain import dashboard, inventory
    from cloudfold.domain.context import Principal

    admin = Principal(user_id=1, user_uuid="bench", email=common.EMAIL, role="admin",
                      scopes=frozenset({"read", "write", "admin"}))
    member = Principal(user_id=2, user_uuid="bench-member", email="member@example.com", role="member",
                       scopes=frozenset({"read"}))
    items = TypeAdapter(list[InventoryItem])
    resources = TypeAdapter(list[ResourceOut])
    vms = inventory.GROUPS["vms"]

    def listing(viewer, f, skip, adapter, shape):
        def domain(session):
            if shape is inventory_item:  # seed 002's listing reads plain rows (as its face does)
                return inventory.page_rows(session.get_bind(), viewer, f, skip, 100)
            return inventory.page(session, viewer, f, skip, 100)

        def full(session):
            rows, _ = domain(session)
            return (to_json if shape is inventory_item else adapter.dump_json)([shape(r) for r in rows])

        return domain, full

    cases = [
        ("GET /inventory/vms?limit=100", *listing(admin, inventory.Filters(kinds=vms), 0, items, inventory_item)),
        ("GET /inventory/vms?provider=aws&status=running&limit=100",
         *listing(admin, inventory.Filters(kinds=vms, provider="aws", status="running"), 0, items, inventory_item)),
        (f"GET /inventory/vms?skip={DEEP_SKIP}&limit=100",
         *listing(admin, inventory.Filters(kinds=vms), DEEP_SKIP, items, inventory_item)),
        ("GET /api/resources?resource_type=vm&limit=100",
         *listing(admin, inventory.Filters(kinds=("vm",)), 0, resources, resource_out)),
        ("GET /dashboard/stats", lambda s: dashboard.stats(s, admin),
         lambda s: dashboard_shape(dashboard.stats(s, admin)).model_dump_json()),
        ("(member viewer) /inventory/vms?provider=aws&status=running&limit=100",
         *listing(member, inventory.Filters(kinds=vms, provider="aws", status="running"), 0, items, inventory_item)),
    ]

    with common.cloudfold_environ(env):
        engine = make_engine(db_url)
    captured: list[tuple[str, tuple]] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _capture(_conn, _cursor, statement, parameters, _context, _many):
        captured.append((statement, tuple(parameters) if parameters else ()))

    raw = sqlite3.connect(str(db_path))
    out = []
    try:
        for label, domain, full in cases:
            with Session(engine, expire_on_commit=False) as session:
                captured.clear()
                domain(session)
                statements = [s for s in captured if s[0].lstrip().upper().startswith("SELECT")]
            sql = []
            for text, params in statements:
                def run(text=text, params=params):
                    raw.execute(text, params).fetchall()

                plan = [row[3] for row in raw.execute("EXPLAIN QUERY PLAN " + text, params)]
                sql.append({"sql": " ".join(text.split())[:400], "ms": _time(run), "plan": plan})

            def in_session(fn):
                def call():
                    with Session(engine, expire_on_commit=False) as session:
                        fn(session)
                return call

            out.append({"request": label, "sql": sql, "sql_ms": sum(s["ms"] for s in sql),
                        "domain_ms": _time(in_session(domain)), "full_ms": _time(in_session(full))})
    finally:
        raw.close()
        engine.dispose()
    return out


# -------------------------------------------------------------------- main

def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    common.add_load_args(p)
    p.add_argument("--resources", type=int, default=100_000, help="resources to insert (default 100,000)")
    p.add_argument("--timeout", type=float, default=30.0,
                   help="per-request timeout of the load generator, seconds (default 30: the slow pages queue)")
    p.add_argument("--serial-duration", type=float, default=5.0,
                   help="after the main runs, seconds per endpoint at 1 connection (latency without queueing); "
                        "0 to skip (default 5)")
    p.add_argument("--skip-http", action="store_true", help="only populate and time in-process (no server, no wrk)")
    args = p.parse_args(argv)
    common.check_load_args(p, args)
    if args.resources < 100_000:
        p.error("--resources must be at least 100,000 for the deep page (skip=90000) to hold a full page")
    return args


def get_total(url: str, headers: dict[str, str]) -> tuple[int, int | None, int]:
    """(status, X-Total-Count, number of items) of one GET."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(urllib.request.Request(url, headers=headers), timeout=60) as response:
        body = json.loads(response.read())
        total = response.headers.get("X-Total-Count")
        return response.status, int(total) if total is not None else None, len(body)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    wrk = None if args.skip_http else common.find_wrk(args.tool)
    log = (lambda *a: None) if args.json else (lambda *a: print(*a, file=sys.stderr, flush=True))
    common.on_signals_unwind()

    started = time.time()
    load_before = loadavg()
    memory: dict[str, dict] = {}
    runs: dict[str, list[dict]] = {}
    checks: dict[str, dict] = {}
    serial: dict[str, dict] = {}
    server_rc = None
    with tempfile.TemporaryDirectory(prefix="cloudfold-bench-") as tmp:
        tmpdir = Path(tmp)
        data_dir = tmpdir / "data"
        env = server_env(data_dir, args.rate_limit, **common.QUIET_BACKGROUND, CLOUDFOLD_AUTO_REGISTER_LOCAL="false")
        log(f"data dir {data_dir}")
        common.cli(env, "migrate")
        api_key = common.admin_key(env)
        db_path = data_dir / "cloudfold.db"
        db_url = f"sqlite:///{db_path}"
        log(f"inserting {args.resources:,} resources in batches of {BATCH:,}")
        data = populate(db_url, args.resources, log)
        log(f"inserted in {data['insert_s']:.1f} s ({data['rows_per_s']:,.0f} rows/s); {data['by_kind']}")

        if not args.skip_http:
            port = common.free_port()
            base = f"http://{HOST}:{port}"
            server_log = tmpdir / "server.log"
            proc = common.start_server(env, port, server_log)
            try:
                wait_ready(proc, base, timeout=60, log=server_log)
                memory["after_start"] = common.memory(proc.pid)
                log(f"server pid {proc.pid} live on {base}; load: {'wrk' if wrk else 'httpx (wrk not found)'}")

                def headers_for(ep: Endpoint) -> dict[str, str]:
                    return {"X-API-Key": api_key} if ep.auth else {}

                for ep in ENDPOINTS:  # each endpoint answers 200 (with the expected totals) before any load
                    if ep.name in data["expected_totals"]:
                        status, total, n = get_total(base + ep.path, headers_for(ep))
                        expected = data["expected_totals"][ep.name]
                        checks[ep.name] = {"status": status, "x_total_count": total, "items": n, "expected": expected}
                        if status != 200 or n != 100 or (total is not None and total != expected):
                            raise RuntimeError(f"GET {ep.path}: {checks[ep.name]}")
                    else:
                        status, body = http_get(base + ep.path, headers_for(ep), timeout=60)
                        if status != 200:
                            raise RuntimeError(f"GET {ep.path} -> {status}: {body[:300]!r}")
                memory["before_load"] = common.memory(proc.pid)

                def after_each(ep: Endpoint, _run: dict) -> None:
                    memory[f"after {ep.name}"] = common.memory(proc.pid)

                load = common.make_loader(wrk, base, args, tmpdir, headers_for, timeout_s=args.timeout)
                runs = common.measure(ENDPOINTS, load, args, proc, server_log, log, after_each)
                memory["after_load"] = common.memory(proc.pid)
                if args.serial_duration > 0:  # one connection: each request alone, no queueing
                    one = argparse.Namespace(**{**vars(args), "threads": 1, "connections": 1})
                    load_one = common.make_loader(wrk, base, one, tmpdir, headers_for, timeout_s=args.timeout)
                    for ep in ENDPOINTS:
                        log(f"1 connection: GET {ep.path} for {args.serial_duration:g} s")
                        run = load_one(ep, args.serial_duration)
                        run["rps"] = run["requests"] / run["duration_s"] if run["duration_s"] else 0.0
                        serial[ep.name] = run
            finally:
                stop_server(proc)
            server_rc = proc.returncode

        log("timing the same work in-process (no HTTP)")
        timings = in_process(db_url, db_path, env)
        db_mib = db_path.stat().st_size / 2**20
    load_after = loadavg()

    results = []
    if runs:
        results = [common.combine(ep, runs[ep.name]) for ep in ENDPOINTS]
        common.with_ratios(results, FLOOR)
    config = {"resources": args.resources, "batch": BATCH, "duration_s": args.duration, "warmup_s": args.warmup,
              "connections": args.connections, "threads": args.threads if wrk else None, "rounds": args.rounds,
              "rate_limit": args.rate_limit, "tool": ("wrk" if wrk else "httpx") if not args.skip_http else None,
              "server": "cloudfold serve (1 uvicorn worker), SQLite, log WARNING", "floor": "GET /health/live"}
    doc = {"date": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)), "machine": machine(),
           "config": config, "data": {**data, "db_mib": db_mib}, "checks": checks,
           "results": [asdict(r) for r in results], "one_connection": serial, "memory_kib": memory, "in_process": timings,
           "server_exit_code": server_rc, "loadavg_before": load_before, "loadavg_after": load_after}

    if args.json:
        print(json.dumps(doc, indent=2, default=str))
        return 0
    print(common.machine_line(doc["machine"]))
    print(f"{args.resources:,} resources ({', '.join(f'{k} {v:,}' for k, v in sorted(data['by_kind'].items()))}), "
          f"inserted in {data['insert_s']:.1f} s ({data['rows_per_s']:,.0f} rows/s); SQLite file {db_mib:,.0f} MiB")
    print(f"load average before {load_before}, after {load_after} (other work on the machine skews results)\n")
    if results:
        print(f"{config['tool']}: {config['threads'] or ''}{' threads, ' if config['threads'] else ''}"
              f"{args.connections} connections, {args.duration:g} s per endpoint after {args.warmup:g} s warmup, "
              f"{args.rounds} round(s); rate limits {args.rate_limit}\n")
        print(common.table(results))
        bad = [r for r in results if r.non_2xx or r.socket_errors]
        if bad:
            print("WARNING: non-2xx responses or socket errors: " + ", ".join(r.path for r in bad))
        if serial:
            print(f"\nOne connection ({args.serial_duration:g} s per endpoint, no queueing):")
            print(common.markdown_table(
                ["endpoint", "req/s", "p50 ms", "p99 ms", "p50 / floor p50"],
                [[f"GET {ep.path}", f"{serial[ep.name]['rps']:,.1f}", f"{serial[ep.name]['p50_ms']:.2f}",
                  f"{serial[ep.name]['p99_ms']:.2f}",
                  f"{serial[ep.name]['p50_ms'] / serial[FLOOR]['p50_ms']:.1f}" if serial[FLOOR]["p50_ms"] else "?"]
                 for ep in ENDPOINTS]))
        print("\nServer memory (VmRSS now / VmHWM peak so far):")
        print(common.markdown_table(["when", "VmRSS", "VmHWM"],
                                    [[k, common.mib(v["rss_kib"]), common.mib(v["hwm_kib"])] for k, v in memory.items()]))
    print("\nThe same work in-process, no HTTP (median ms per call):")
    rows = [[t["request"], f"{t['sql_ms']:.2f}", f"{t['domain_ms']:.2f}", f"{t['full_ms']:.2f}",
             " + ".join(f"{s['ms']:.2f}" for s in t["sql"])] for t in timings]
    print(common.markdown_table(["request", "SQL alone", "domain fn (SQL+ORM)", "+ response model & JSON",
                                 "per statement"], rows))
    print("\nQuery plans (EXPLAIN QUERY PLAN, sqlite3):")
    for t in timings:
        print(f"- {t['request']}")
        for s in t["sql"]:
            print(f"    {s['ms']:8.2f} ms  {s['sql'][:160]}")
            for step in s["plan"]:
                print(f"                 {step}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
