#!/usr/bin/env python
"""Metric history: ingestion rate, a 30-day analytics query, storage per container and day.

    python bench/bench_metrics.py [--containers 100] [--rounds 240] [--requests 200]

In process, on SQLite, in a temporary directory (nothing else is touched):

1. ingestion: R sampler passes over N running containers, each pass one `store.ingest` of N
   readings (raw rows, rates from counters, both rollups upserted, `resources.usage` kept) and
   a commit, as the sampler job does. Floor: the same number of raw rows written by one bulk
   INSERT per pass (no rates, rollups or usage), in the same run.
2. history: the rest of 30 days for every container (48 h of raw samples every 30 s, 30 days
   of 5-minute and 1-hour rollups), bulk-inserted in the shapes ingestion writes.
3. query: `GET /api/analytics/{vmid}/cpu?range=30d` through the app (TestClient, an admin's
   API key), p50/p90 over Q requests; floor: `GET /health/live` in the same run; and the
   domain read alone (`series.history`).
4. storage: bytes of each table (SQLite `dbstat`), per container and day of history, and the
   steady state per container and year (48 h raw + 30 d of 5 min + 365 d of 1 h).

Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import delete, insert  # noqa: E402

from cloudfold.api.app import create_app  # noqa: E402
from cloudfold.db.engine import make_engine, make_session_factory  # noqa: E402
from cloudfold.db.migrate import upgrade  # noqa: E402
from cloudfold.db.models import Account, MetricRollup, MetricSample, Resource  # noqa: E402
from cloudfold.domain import users  # noqa: E402
from cloudfold.domain.context import SYSTEM, Principal  # noqa: E402
from cloudfold.domain.metrics import series, store  # noqa: E402
from cloudfold.security.scopes import Role  # noqa: E402
from cloudfold.settings import Settings  # noqa: E402

EMAIL, PASSWORD = "bench@example.com", "bench-password-123456"
MB = 2**20
DAYS = 30
ADMIN = Principal(user_id=0, user_uuid="bench", email="bench", role="admin", scopes=frozenset({"read", "write", "admin"}))


def machines(sessions, n: int) -> list[int]:
    with sessions() as session:
        account = Account(slug="podman", provider_type="local", display_name="podman", region="local", config={})
        session.add(account)
        session.flush()
        rows = [Resource(account_id=account.id, provider="local", kind="container", external_id=f"c{i:06x}",
                         name=f"c{i}", region="local", status="running", meta={}, tags={}) for i in range(n)]
        session.add_all(rows)
        session.commit()
        return [r.id for r in rows]


def figures(i: int, t: int) -> dict:
    """A container's plausible counters at epoch second t."""
    return {"cpu_percent": round(20 + 15 * math.sin(t / 3600 + i), 2), "mem_bytes": (100 + i % 50) * MB,
            "mem_limit_bytes": 512 * MB, "net_in_bytes": t * (1000 + i), "net_out_bytes": t * (500 + i),
            "disk_read_bytes": t * 10, "disk_write_bytes": t * (20 + i % 7)}


def ingestion(sessions, ids: list[int], rounds: int, start: datetime) -> tuple[float, float]:
    """(samples/s through store.ingest, samples/s of a bare bulk INSERT), over the same shape."""
    began = time.perf_counter()
    for r in range(rounds):
        at = start + timedelta(seconds=30 * r)
        readings = [store.Reading(rid, at, figures(i, int(at.timestamp()))) for i, rid in enumerate(ids)]
        with sessions() as session:
            store.ingest(session, readings)
            session.commit()
    ingest_rate = rounds * len(ids) / (time.perf_counter() - began)
    floor_start = start - timedelta(days=3)  # rows out of the way of the ingested ones
    began = time.perf_counter()
    for r in range(rounds):
        at = floor_start + timedelta(seconds=30 * r)
        rows = [{"resource_id": rid, "time": at, "cpu_percent": 1.0, "mem_bytes": MB, "net_in_bytes": 1,
                 "net_out_bytes": 1} for rid in ids]
        with sessions() as session:
            session.execute(insert(MetricSample), rows)
            session.commit()
    floor_rate = rounds * len(ids) / (time.perf_counter() - began)
    with sessions() as session:  # the floor's rows are not history
        session.execute(delete(MetricSample).where(MetricSample.time < start - timedelta(days=2)))
        session.commit()
    return ingest_rate, floor_rate


def history(engine, ids: list[int], now: datetime, skip_from: datetime) -> None:
    """48 h of raw samples and 30 days of rollups for every container (bulk)."""
    first_raw = int((now - timedelta(hours=48)).timestamp())
    end = int(skip_from.timestamp())
    rng = random.Random(1)
    with engine.begin() as conn:
        for rid in ids:
            conn.execute(insert(MetricSample), [
                {"resource_id": rid, "time": datetime.fromtimestamp(t, timezone.utc), "cpu_percent": rng.uniform(5, 60),
                 "cpu_time_ns": t * 10**7, "mem_bytes": 120 * MB, "mem_percent": 23.4, "mem_limit_bytes": 512 * MB,
                 "net_in_bytes": t * 1000, "net_out_bytes": t * 500, "disk_read_bytes": t * 10,
                 "disk_write_bytes": t * 20, "net_in_rate": 1000.0, "net_out_rate": 500.0, "disk_read_rate": 10.0,
                 "disk_write_rate": 20.0, "seconds": 30.0} for t in range(first_raw, end, 30)])
            for step in store.STEPS:
                first = int((now - timedelta(days=DAYS)).timestamp()) // step * step
                n = step // 30
                conn.execute(insert(MetricRollup), [
                    {"resource_id": rid, "step": step, "bucket": b, "n": n, "cpu_n": n,
                     "cpu_sum": n * rng.randint(500, 6000), "cpu_min": rng.randint(100, 500),
                     "cpu_max": rng.randint(6000, 9000), "mem_n": n, "mem_sum": n * 120 * MB, "mem_min": 100 * MB,
                     "mem_max": 140 * MB, "mem_pct_n": n, "mem_pct_sum": n * 2340, "seconds": float(step),
                     "net_in": step * 1000, "net_out": step * 500, "disk_read": step * 10, "disk_write": step * 20}
                    for b in range(first, end - end % step, step)])


def table_bytes(path: str) -> dict[str, int]:
    with sqlite3.connect(path) as conn:
        try:
            rows = conn.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name").fetchall()
        except sqlite3.OperationalError:  # SQLite built without dbstat: the file's pages
            return {}
    return {name: int(size) for name, size in rows}


def timed(fn, count: int) -> list[float]:
    out = []
    for _ in range(count):
        began = time.perf_counter()
        fn()
        out.append((time.perf_counter() - began) * 1000)
    return out


def pct(values: list[float], q: float) -> float:
    return round(statistics.quantiles(values, n=100)[int(q) - 1], 2)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--containers", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=240, help="sampler passes timed for ingestion")
    ap.add_argument("--requests", type=int, default=200)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/cloudfold.db"
        upgrade(url)
        engine = make_engine(url)
        sessions = make_session_factory(engine)
        ids = machines(sessions, args.containers)
        now = datetime.now(timezone.utc).replace(microsecond=0)
        ingest_from = now - timedelta(seconds=30 * args.rounds)
        ingest_rate, floor_rate = ingestion(sessions, ids, args.rounds, ingest_from)
        history(engine, ids, now, ingest_from)
        with sessions() as session:
            users.register(session, SYSTEM, EMAIL, PASSWORD, "Bench", Role("admin"))
        engine.dispose()
        sizes = table_bytes(f"{tmp}/cloudfold.db")

        settings = Settings(data_dir=Path(tmp), database_url=url, auto_register_local=False,
                            rate_limit_default="1000000/minute", rate_limit_auth="1000000/minute",
                            metrics_sample_seconds=86_400, schedule_tick_seconds=86_400)
        with TestClient(create_app(settings)) as client:
            key = client.post("/auth/login", json={"email": EMAIL, "password": PASSWORD}).json()["api_key"]
            headers = {"X-API-Key": key}
            vmid = ids[len(ids) // 2] + 99
            check = client.get(f"/api/analytics/{vmid}/cpu", params={"range": "30d"}, headers=headers).json()
            query = timed(lambda: client.get(f"/api/analytics/{vmid}/cpu", params={"range": "30d"}, headers=headers),
                          args.requests)
            floor = timed(lambda: client.get("/health/live"), args.requests)
            rt = client.app.state.runtime

            def domain_read():
                with rt.sessions() as session:
                    series.history(session, ADMIN, vmid, "30d")

            domain = timed(domain_read, args.requests)

    n, raw, r5, r1 = args.containers, sizes.get("metric_samples", 0), 0, 0
    rollups = sizes.get("metric_rollups", 0)
    rows5, rows1 = DAYS * 288, DAYS * 24
    r5 = rollups * rows5 / (rows5 + rows1)  # rows of both steps are alike in size
    r1 = rollups - r5
    raw_days = 2
    per_day = {"raw": round(raw / n / raw_days), "5m": round(r5 / n / DAYS), "1h": round(r1 / n / DAYS)}
    year = per_day["raw"] * 2 + per_day["5m"] * 30 + per_day["1h"] * 365
    print(json.dumps({
        "containers": n, "ingest_samples_per_s": round(ingest_rate), "ingest_floor_samples_per_s": round(floor_rate),
        "query_points": check["data_points"], "query_interval": check["interval"],
        "query_p50_ms": round(statistics.median(query), 2), "query_p90_ms": pct(query, 90),
        "floor_p50_ms": round(statistics.median(floor), 2), "domain_p50_ms": round(statistics.median(domain), 2),
        "bytes_per_container_day": per_day, "steady_state_bytes_per_container_year": year,
        "table_bytes": {k: v for k, v in sizes.items() if "metric" in k},
    }, indent=1))


if __name__ == "__main__":
    main()
