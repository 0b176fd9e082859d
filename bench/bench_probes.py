#!/usr/bin/env python
"""The probe engine at scale (issue 10): N monitors at a 60 s interval against local targets.

    python bench/bench_probes.py [--monitors N] [--duration S] [--interval S] [--json]

Makes a throwaway SQLite database (migrated) and N monitors (default 10,000): 40 % HTTP,
30 % HTTPS with certificate check (a trustme CA the run makes), 20 % TCP connect, 10 % DNS
(A record with an expected answer), each first due at a random point of the first interval.
The targets run in a child process (an aiohttp server on HTTP and HTTPS ports, a TCP listener)
plus Debian's dnsmasq on a loopback port, so their CPU is not counted. The engine
(`domain/monitors/engine.Engine`, the one the server embeds) runs in this process for S seconds
(default 180: three intervals), claiming due monitors from the database and writing results
back in batches.

Reports: probes run, failed checks, start lag (start − due) p50/p99/max, probes started more
than 2 s late, missed schedules (skipped because more than an interval late), CPU seconds used
by this process (engine + SQLite writes) and cores in use, and two floors measured in the same
run before the engine starts: raw TCP connects per CPU-second (asyncio) and keep-alive HTTP
GETs per CPU-second (aiohttp), against the same targets. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import resource
import shutil
import ssl
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

HOST = "127.0.0.1"


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _targets_main(cert_pem: bytes, key_pem: bytes, ports: dict, ready) -> None:
    from aiohttp import web

    async def ok(request):
        return web.Response(text="ok")

    async def main():
        app = web.Application()
        app.router.add_get("/{tail:.*}", ok)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        d = Path(tempfile.mkdtemp())
        (d / "c.pem").write_bytes(cert_pem)
        (d / "k.pem").write_bytes(key_pem)
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(str(d / "c.pem"), str(d / "k.pem"))
        await web.TCPSite(runner, HOST, ports["http"], backlog=4096).start()
        await web.TCPSite(runner, HOST, ports["https"], ssl_context=ctx, backlog=4096).start()

        async def accept(reader, writer):
            writer.close()

        await asyncio.start_server(accept, HOST, ports["tcp"], backlog=4096)
        ready.set()
        await asyncio.sleep(3600)

    asyncio.run(main())


async def tcp_floor(port: int, seconds: float, concurrency: int = 100) -> dict:
    done = 0
    stop = time.monotonic() + seconds

    async def worker():
        nonlocal done
        while time.monotonic() < stop:
            _, w = await asyncio.open_connection(HOST, port)
            w.close()
            done += 1

    c0, t0 = cpu(), time.monotonic()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    used, wall = cpu() - c0, time.monotonic() - t0
    return {"connects": done, "per_second": round(done / wall), "per_cpu_second": round(done / used)}


async def http_floor(port: int, seconds: float, concurrency: int = 100) -> dict:
    import aiohttp

    done = 0
    stop = time.monotonic() + seconds
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as s:
        async def worker():
            nonlocal done
            while time.monotonic() < stop:
                async with s.get(f"http://{HOST}:{port}/floor") as r:
                    await r.read()
                done += 1

        c0, t0 = cpu(), time.monotonic()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        used, wall = cpu() - c0, time.monotonic() - t0
    return {"requests": done, "per_second": round(done / wall), "per_cpu_second": round(done / used)}


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--monitors", type=int, default=10_000)
    ap.add_argument("--duration", type=float, default=180.0)
    ap.add_argument("--interval", type=int, default=60)
    ap.add_argument("--concurrency", type=int, default=500)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    import trustme
    from monitor_targets import _dnsmasq, free_port

    from cloudfold.db.engine import make_engine, make_session_factory
    from cloudfold.db.migrate import upgrade
    from cloudfold.db.models import Monitor
    from cloudfold.domain.monitors.engine import Engine
    from cloudfold.settings import Settings

    work = Path(tempfile.mkdtemp(prefix="cloudfold-bench-probes-"))
    ca = trustme.CA()
    cert = ca.issue_cert(HOST)
    ca_file = work / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    ports = {"http": free_port(), "https": free_port(), "tcp": free_port()}
    ready = multiprocessing.Event()
    targets = multiprocessing.Process(target=_targets_main, daemon=True,
                                      args=(cert.cert_chain_pems[0].bytes(), cert.private_key_pem.bytes(), ports, ready))
    targets.start()
    dns_port = free_port()
    dnsmasq = _dnsmasq(dns_port)
    try:
        if not ready.wait(20):
            raise SystemExit("targets did not start")
        url = f"sqlite:///{work / 'cloudfold.db'}"
        upgrade(url)
        settings = Settings(data_dir=work, database_url=url, monitor_ca_file=ca_file,
                            monitor_max_concurrency=args.concurrency, monitor_claim_batch=1000,
                            monitor_tick_seconds=0.2, monitor_min_interval_seconds=1)
        engine_db = make_engine(url)
        sessions = make_session_factory(engine_db)
        now = datetime.now(timezone.utc)
        rows, mix = [], {"http": 0, "https": 0, "tcp": 0, "dns": 0}
        for i in range(args.monitors):
            r = random.random()
            if r < 0.4:
                kind, target, config, label = "http", f"http://{HOST}:{ports['http']}/m/{i}", {}, "http"
            elif r < 0.7:
                kind, target, config, label = "http", f"https://{HOST}:{ports['https']}/m/{i}", {}, "https"
            elif r < 0.9:
                kind, target, config, label = "tcp", f"{HOST}:{ports['tcp']}", {}, "tcp"
            else:
                kind, target, label = "dns", "web.cloudfold.test", "dns"
                config = {"record_type": "A", "expected": "127.0.0.10", "server": f"{HOST}:{dns_port}"}
            mix[label] += 1
            rows.append({"kind": kind, "name": f"m{i}", "target": target, "config": config,
                         "interval_seconds": args.interval, "timeout_seconds": 10.0, "retries": 1, "enabled": True,
                         "state": "pending", "failures": 0,
                         "next_due_at": now + timedelta(seconds=5 + random.uniform(0, args.interval)),
                         "created_at": now, "updated_at": now})
        with sessions() as s:
            s.execute(Monitor.__table__.insert(), rows)
            s.commit()

        floors = asyncio.run(_floors(ports))
        engine = Engine(sessions, settings, None, concurrency=args.concurrency)

        async def run() -> float:
            stop = asyncio.Event()
            asyncio.get_running_loop().call_later(args.duration, stop.set)
            c0 = cpu()
            await engine.run(stop)
            return cpu() - c0

        t0 = time.monotonic()
        used = asyncio.run(run())
        wall = time.monotonic() - t0
        lags = engine.stats.lags
        size = os.path.getsize(work / "cloudfold.db")
        report = {
            "monitors": args.monitors, "mix": mix, "interval_s": args.interval, "duration_s": round(wall, 1),
            "concurrency": args.concurrency,
            "probes": engine.stats.probes, "failed": engine.stats.failed,
            "expected_probes": round(args.monitors * max(0.0, (args.duration - 5)) / args.interval),
            "lag_p50_ms": round(pct(lags, 50) * 1000, 1), "lag_p99_ms": round(pct(lags, 99) * 1000, 1),
            "lag_max_ms": round(max(lags) * 1000, 1) if lags else None,
            "late_over_2s": sum(1 for x in lags if x > 2.0), "missed_schedules": engine.stats.missed,
            "cpu_seconds": round(used, 1), "cores_used": round(used / wall, 2),
            "probes_per_cpu_second": round(engine.stats.probes / used) if used else None,
            "floors": floors, "database_bytes": size,
        }
    finally:
        dnsmasq.terminate()
        targets.terminate()
        shutil.rmtree(work, ignore_errors=True)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for k, v in report.items():
            print(f"{k:>22}: {v}")
    return 0


async def _floors(ports: dict) -> dict:
    return {"tcp_connect": await tcp_floor(ports["tcp"], 3.0), "http_keepalive": await http_floor(ports["http"], 3.0)}


if __name__ == "__main__":
    sys.exit(main())
