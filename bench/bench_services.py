#!/usr/bin/env python
"""Finding one seed 000 service among N inventory containers (what every /services/{id}/*
request does first), in process, on SQLite.

    python bench/bench_services.py [--containers N] [--rounds R]

Makes a throwaway database (migrated), one `local` account and N running containers (default
100,000; every 20th labelled `cloudfold.service=svcK`, 1,000 services of 5), then times with
an admin's view, median of R rounds:

- lookup: `services.get(session, viewer, "svc40")` (the containers labelled with that name,
  chosen by the database, then grouped);
- whole:  grouping every visible container, then picking the service (what `get` did before);
- floor:  `inventory.get(session, viewer, id)`, one record by its primary key.

Prints the figures and each one's ratio to the floor. Nothing but a temporary directory.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from sqlalchemy import insert  # noqa: E402

from cloudfold.db.engine import make_engine, make_session_factory  # noqa: E402
from cloudfold.db.migrate import upgrade  # noqa: E402
from cloudfold.db.models import Account, Resource  # noqa: E402
from cloudfold.domain import inventory, services  # noqa: E402
from cloudfold.domain.context import Principal  # noqa: E402

ADMIN = Principal(user_id=0, user_uuid="bench", email="bench", role="admin", scopes=frozenset({"read", "write", "admin"}))
SERVICE = "svc40"


def populate(url: str, n: int) -> None:
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        account = Account(slug="podman", provider_type="local", display_name="podman", region="local", config={})
        session.add(account)
        session.commit()
        account_id = account.id
    now = datetime.now(timezone.utc)
    rows = [{"account_id": account_id, "provider": "local", "kind": "container", "external_id": f"c{i:08x}",
             "name": f"c{i}", "region": "local", "status": "running",
             "metadata": {"image": "nginx:1", "ports": [],
                          "labels": {"cloudfold.service": f"svc{i % 1000}"} if i % 20 == 0 else {}},
             "tags": {}, "manual": False, "vanished": False, "sync_generation": 1, "created_at": now,
             "updated_at": now, "last_synced": now} for i in range(n)]
    with engine.begin() as conn:
        for start in range(0, n, 5000):
            conn.execute(insert(Resource), rows[start:start + 5000])
    engine.dispose()


def median_ms(sessions, fn, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        with sessions() as session:
            start = time.perf_counter()
            fn(session)
            times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--containers", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=9)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/cloudfold.db"
        upgrade(url)
        populate(url, args.containers)
        engine = make_engine(url)
        sessions = make_session_factory(engine)
        lookup = median_ms(sessions, lambda s: services.get(s, ADMIN, SERVICE), args.rounds)
        whole = median_ms(sessions, lambda s: next(x for x in services.all_services(s, ADMIN) if x.name == SERVICE),
                          max(3, args.rounds // 3))
        floor = median_ms(sessions, lambda s: inventory.get(s, ADMIN, 7), args.rounds)
        engine.dispose()
    print(json.dumps({"containers": args.containers, "floor_ms": round(floor, 2), "lookup_ms": round(lookup, 1),
                      "whole_ms": round(whole, 1), "lookup_over_floor": round(lookup / floor, 1),
                      "whole_over_floor": round(whole / floor, 1)}))


if __name__ == "__main__":
    main()
