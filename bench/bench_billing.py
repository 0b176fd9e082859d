#!/usr/bin/env python
"""Billing aggregation (issue 11): `GET /billing/costs` over 90 days of daily cost records for
10,000 resources across 5 accounts, against the same query in plain SQL (the floor).

    python bench/bench_billing.py [--resources 10000] [--days 90] [--requests 30] [--database-url URL]

In process, on a fresh SQLite database in a temporary directory (or the PostgreSQL database
given, whose tables are dropped first: use a throwaway one):

1. data: 5 accounts (aws, gcp, azure, oci, local) owned by one member; `--resources` machines
   spread over them; one record per machine and day (service from 4 per provider), bulk-inserted.
2. query: `GET /billing/costs?start_date&end_date&group_by=provider|service|day` over all the
   days through the app (TestClient) as the member (the ownership filter applies) and as an admin
   (no filter), p50/p90 over `--requests`; floor: the same GROUP BY in plain SQL on the same
   database (SUM over the range, no ownership filter), p50/p90, timed before and after the app
   (each after a warm-up call) and the lower p50 kept.

Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from bench_metrics import pct, timed  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import insert, text  # noqa: E402

from cloudfold.api.app import create_app  # noqa: E402
from cloudfold.db.engine import make_engine, make_session_factory  # noqa: E402
from cloudfold.db.migrate import upgrade  # noqa: E402
from cloudfold.db.models import Account, CostRecord, Resource  # noqa: E402
from cloudfold.domain import users  # noqa: E402
from cloudfold.domain.context import SYSTEM  # noqa: E402
from cloudfold.security.scopes import Role  # noqa: E402
from cloudfold.settings import Settings  # noqa: E402

PASSWORD = "bench-password-123456"
PROVIDERS = {"aws": ["EC2", "S3", "EBS", "VPC"], "gcp": ["Compute Engine", "Cloud Storage", "Networking", "Disks"],
             "azure": ["Virtual Machines", "Storage", "Bandwidth", "Managed Disks"],
             "oci": ["Compute", "Block Volume", "Object Storage", "Networking"],
             "local": ["compute", "disk", "memory", "network"]}
SQL = {by: f"SELECT {col}, SUM(amount_micros), COUNT(*) FROM cost_records WHERE day >= :start AND day <= :end "
           f"AND currency = 'USD' GROUP BY {col} ORDER BY {col}"
       for by, col in {"provider": "provider, service", "service": "service", "day": "day"}.items()}


def populate(sessions, engine, owner_id: int, resources: int, days: int, end: date) -> int:
    with sessions() as session:
        accounts = [Account(slug=f"{p}-bench", provider_type=p, display_name=p, config={}, owner_id=owner_id)
                    for p in PROVIDERS]
        session.add_all(accounts)
        session.flush()
        ids = [(a.id, a.provider_type) for a in accounts]
        session.commit()
    machines = []
    with engine.begin() as conn:
        for start in range(0, resources, 2000):
            rows = [{"account_id": ids[i % 5][0], "provider": ids[i % 5][1], "kind": "vm", "external_id": f"m{i}",
                     "name": f"m{i}", "status": "running", "meta": {}, "tags": {}, "manual": False, "vanished": False,
                     "sync_generation": 1} for i in range(start, min(start + 2000, resources))]
            machines += conn.execute(insert(Resource).returning(Resource.id, Resource.account_id, Resource.provider),
                                     rows).all()
    count = 0
    for d in range(days):
        day = end - timedelta(days=d)
        rows = [{"account_id": acc, "resource_id": rid, "provider": prov, "day": day,
                 "service": PROVIDERS[prov][rid % 4], "source": "model", "amount_micros": 1000 + (rid * 7 + d) % 5000,
                 "currency": "USD", "priced": True, "dedupe_key": f"b:{rid}:{day}", "detail": {}}
                for rid, acc, prov in machines]
        with engine.begin() as conn:
            for start in range(0, len(rows), 5000):
                conn.execute(insert(CostRecord), rows[start:start + 5000])
        count += len(rows)
    return count


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--resources", type=int, default=10_000)
    ap.add_argument("--days", type=int, default=90)
    ap.add_argument("--requests", type=int, default=30)
    ap.add_argument("--database-url", default=None, help="PostgreSQL URL (its tables are dropped); default SQLite")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/cloudfold.db"
        engine = make_engine(url)
        if args.database_url:
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade(url)
        sessions = make_session_factory(engine)
        with sessions() as session:
            member = users.register(session, SYSTEM, "member@example.com", PASSWORD, "Bench", Role("member"))
            users.register(session, SYSTEM, "admin@example.com", PASSWORD, "Bench", Role("admin"))
            member_id = member.id
        end = date.today()
        start = end - timedelta(days=args.days - 1)
        began = time.perf_counter()
        records = populate(sessions, engine, member_id, args.resources, args.days, end)
        load_s = time.perf_counter() - began
        if url.startswith("postgresql"):
            with engine.begin() as conn:
                conn.execute(text("ANALYZE"))
        window = {"start": start, "end": end}

        def floor_run() -> dict[str, list[float]]:
            with engine.connect() as conn:
                for sql in SQL.values():  # warm the cache before timing
                    conn.execute(text(sql), window).all()
                return {by: timed(lambda sql=sql: conn.execute(text(sql), window).all(), args.requests)
                        for by, sql in SQL.items()}

        floors = [floor_run()]
        settings = Settings(data_dir=Path(tmp), database_url=url, auto_register_local=False,
                            rate_limit_default="1000000/minute", rate_limit_auth="1000000/minute",
                            metrics_sample_seconds=86_400, schedule_tick_seconds=86_400)
        results = {}
        with TestClient(create_app(settings)) as client:
            for who in ("member", "admin"):
                key = client.post("/auth/login", json={"email": f"{who}@example.com", "password": PASSWORD}).json()
                headers = {"X-API-Key": key["api_key"]}
                for by in SQL:
                    params = {"start_date": str(start), "end_date": str(end), "group_by": by}
                    check = client.get("/billing/costs", params=params, headers=headers)  # and warms the cache
                    assert check.status_code == 200, check.text
                    got = timed(lambda params=params, headers=headers: client.get("/billing/costs", params=params,
                                                                                 headers=headers), args.requests)
                    results[f"{who}:{by}"] = {"p50_ms": pct(got, 50), "p90_ms": pct(got, 90),
                                              "total": check.json()["total_cost"]}
        floors.append(floor_run())  # again after: the lower p50 of the two is the floor (load moves both)
        floor = {by: min((f[by] for f in floors), key=lambda v: pct(v, 50)) for by in SQL}
        engine.dispose()
    out = {"database": url.split(":")[0], "resources": args.resources, "days": args.days, "records": records,
           "load_s": round(load_s, 1), "requests": args.requests,
           "floor_sql": {by: {"p50_ms": pct(v, 50), "p90_ms": pct(v, 90)} for by, v in floor.items()},
           "billing_costs": results,
           "ratio_p50": {k: round(v["p50_ms"] / pct(floor[k.split(":")[1]], 50), 2) for k, v in results.items()}}
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
