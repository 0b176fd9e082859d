"""Sampling a real container engine (the tests' Podman): the sampler job claims the account
from the database, reads every running container's stats, computes CPU from the engine's CPU
time counter and rates from its byte counters; seed 004 analytics and seed 000's monitor views
show the same latest figures; an engine that is down is a gap and a backoff, not a loop."""

from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest
from sqlalchemy import update

from cloudfold.db.models import MetricSource
from cloudfold.domain.metrics import sampler
from inventory_support import find, register, sync

pytestmark = pytest.mark.database  # claims are one UPDATE … RETURNING: PostgreSQL too


def _sample(client, force: bool = True) -> dict:
    rt = client.app.state.runtime
    with rt.sessions() as session:
        if force:  # make every account due now, as time passing would
            session.execute(update(MetricSource).values(next_due_at=datetime.now(timezone.utc)))
            session.commit()
        return sampler.sample_due(session, rt)


def _summary(account, vmid) -> dict:
    r = account.client.get(f"/api/analytics/{vmid}/summary", headers=account.headers)
    assert r.status_code == 200, r.text
    return r.json()


def test_a_busy_container_is_sampled_and_shown_alike(client, admin, make_container, engine_socket):
    register(admin, "local", "podman", {"docker_host": engine_socket})
    c = make_container(command=("sh", "-c", "while :; do :; done"), mem_limit="64m")
    sync(admin, "podman")
    vmid = int(find(admin, "podman", c.name)["id"]) + 99

    first = _sample(client)
    assert first["accounts"] == 1 and first["samples"] >= 1 and first["failed"] == 0
    time.sleep(1.5)
    assert _sample(client)["samples"] >= 1
    s = _summary(admin, vmid)
    assert s["cpu"]["current"] is not None and s["cpu"]["current"] > 20  # a busy loop: most of a core
    assert 0 < s["memory"]["current"] <= 64 * 2**20 and s["memory"]["total"] == 64 * 2**20
    assert s["memory"]["percent"] > 0

    cpu = admin.client.get(f"/api/analytics/{vmid}/cpu", params={"range": "1h"}, headers=admin.headers).json()
    assert cpu["data_points"] >= 1 and cpu["max"] >= s["cpu"]["current"]

    r = client.get("/monitor/containers", headers=admin.headers)
    assert r.status_code == 200, r.text
    mine = [x for vm in r.json()["vms"] for x in vm["containers"] if x["name"] == c.name]
    assert len(mine) == 1 and mine[0]["running"] is True and mine[0]["restarts"] == 0
    assert mine[0]["cpuPercent"] == s["cpu"]["current"]  # the same latest sample
    assert mine[0]["memoryMb"] == round(s["memory"]["current"] / 2**20, 2)
    listed = [x for vm in r.json()["vms"] for x in vm["containers"]]
    summary = client.get("/monitor/summary", headers=admin.headers).json()["containers"]
    assert summary == {"total": len(listed), "running": sum(x["running"] for x in listed)}  # one reading

    r = client.get("/monitor/vms", headers=admin.headers)
    assert r.status_code == 200, r.text
    host = next(v for v in r.json()["vms"] if v["providerId"] == "podman")
    assert host["containersRunning"] >= 1 and host["cpuPercent"] >= s["cpu"]["current"]
    r = client.get("/monitor/service-breakdown", headers=admin.headers)
    assert r.status_code == 200, r.text
    host = next(v for v in r.json()["vms"] if v["providerId"] == "podman")
    assert any(svc["id"] is None and svc["total"] >= 1 for svc in host["services"])  # unlabelled: no service


def test_an_engine_that_is_down_is_a_gap_and_a_backoff(client, admin, make_container, engine_socket, tmp_path):
    register(admin, "local", "podman", {"docker_host": engine_socket})
    c = make_container()
    sync(admin, "podman")
    vmid = int(find(admin, "podman", c.name)["id"]) + 99
    assert _sample(client)["samples"] >= 1
    before = _summary(admin, vmid)

    r = client.put("/api/providers/podman", json={"config": {"docker_host": f"unix://{tmp_path}/gone.sock"}},
                   headers=admin.headers)
    assert r.status_code == 200, r.text
    assert _sample(client) == {"accounts": 0, "samples": 0, "failed": 1}
    assert _sample(client, force=False) == {"accounts": 0, "samples": 0, "failed": 0}  # backed off: not retried
    rt = client.app.state.runtime
    with rt.sessions() as session:
        source = session.scalars(__import__("sqlalchemy").select(MetricSource)).one()
        assert source.failures == 1 and source.last_error
        assert (source.next_due_at - datetime.now(timezone.utc)).total_seconds() > rt.settings.metrics_sample_seconds
    assert _summary(admin, vmid)["cpu"] == before["cpu"]  # history kept as it was: a gap from now on


def test_a_due_account_is_claimed_once_and_sampling_leaves_the_record_unchanged(client, admin, make_container,
                                                                                  engine_socket):
    from sqlalchemy import select

    from cloudfold.db.models import Resource

    register(admin, "local", "podman", {"docker_host": engine_socket})
    c = make_container()
    sync(admin, "podman")
    rid = int(find(admin, "podman", c.name)["id"])
    rt = client.app.state.runtime
    with rt.sessions() as session:
        first, second = sampler.claim_due(session, rt.settings), sampler.claim_due(session, rt.settings)
        assert len(first) == 1 and second == []  # a second process finds nothing due
        before = session.scalar(select(Resource.updated_at).where(Resource.id == rid))
    _sample(client)
    with rt.sessions() as session:
        row = session.get(Resource, rid)
        assert row.updated_at == before  # a sample is not a change of the record (recent activity)
        assert row.usage["stats"]["at"] and row.usage["stats"]["memory_usage"] > 0
