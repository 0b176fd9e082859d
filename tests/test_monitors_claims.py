"""Several probe engines on one database share the work without probing a monitor twice: each
claims due monitors with one UPDATE … RETURNING (SKIP LOCKED on PostgreSQL). An engine that
dies mid-probe loses only that check: the lease runs out and another engine takes it."""

from __future__ import annotations

import asyncio
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

import monitor_targets
from cloudfold.db.base import utcnow
from cloudfold.db.models import Monitor, MonitorCheck
from cloudfold.domain.monitors.engine import Engine, claim

pytestmark = pytest.mark.database

N = 120


@pytest.fixture
def world(make_client, make_account, tmp_path):
    t = monitor_targets.start(tmp_path)
    client = make_client(monitor_engine=False, monitor_jitter_seconds=0, monitor_claim_batch=7)
    admin = make_account("admin", client_=client)
    port = t.http.rsplit(":", 1)[1].strip("/")
    for i in range(N):
        r = client.post("/api/monitors", json={"kind": "tcp", "target": f"127.0.0.1:{port}", "name": f"m{i}"},
                        headers=admin.headers)
        assert r.status_code == 201, r.text
    yield client, admin
    t.close()


def _all_due(runtime) -> None:
    with runtime.sessions() as s:
        s.execute(update(Monitor).values(next_due_at=utcnow() - timedelta(seconds=1)))
        s.commit()


def test_two_engines_never_probe_one_monitor_twice(world):
    client, admin = world
    runtime = client.app.state.runtime
    _all_due(runtime)
    counts = []

    def one_engine():
        async def run():
            engine = Engine(runtime.sessions, runtime.settings, concurrency=20)
            try:
                counts.append(await engine.run_once())
            finally:
                await engine.probers.close()

        asyncio.run(run())

    threads = [threading.Thread(target=one_engine) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sum(counts) == N, counts
    with runtime.sessions() as s:
        per_monitor = s.execute(select(MonitorCheck.monitor_id, func.count()).group_by(MonitorCheck.monitor_id)).all()
        assert len(per_monitor) == N and all(n == 1 for _, n in per_monitor)
        assert s.scalar(select(func.count()).select_from(Monitor).where(Monitor.state != "up")) == 0
    listed = client.get("/api/monitors?state=up&limit=1000", headers=admin.headers).json()
    assert listed["total"] == N


def test_a_lost_claim_comes_back_after_its_lease(world):
    client, _ = world
    runtime = client.app.state.runtime
    _all_due(runtime)
    with runtime.sessions() as s:
        taken = claim(s, runtime.settings, utcnow(), N)  # an engine that then dies: no result is written
        assert len(taken) == N
        assert claim(s, runtime.settings, utcnow(), N) == []  # nobody else takes them meanwhile
        later = utcnow() + timedelta(seconds=91)  # the lease has run out
        assert len(claim(s, runtime.settings, later, N)) == N
