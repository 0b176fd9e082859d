"""Seed 004 analytics over stored history: rates from counters, rollups kept as samples
arrive, the series a range and interval pick, every example field, bad inputs, retention,
and a second member who cannot read the first's history."""

from __future__ import annotations

from datetime import timedelta

import pytest

from conftest import assert_error
from metrics_support import MB, aligned_now, ingest, machine, reading

pytestmark = pytest.mark.database  # rollups are UPSERTs: PostgreSQL too


def _three(client, rid):
    t0 = aligned_now()
    return t0, ingest(client, [
        reading(rid, t0, 10.0, mem=100 * MB, net=(0, 0), disk=(0, 0)),
        reading(rid, t0 + timedelta(seconds=30), 20.0, mem=200 * MB, net=(3000, 600), disk=(30_000, 0)),
        reading(rid, t0 + timedelta(seconds=60), 30.0, mem=300 * MB, net=(9000, 1200), disk=(30_000, 3000)),
    ])


def _get(account, vmid, metric, **params):
    r = account.client.get(f"/api/analytics/{vmid}/{metric}", params=params, headers=account.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["success"] is True
    return body


def test_rates_come_from_counters_and_a_reset_counts_from_zero(client, member):
    rid, _ = machine(member)
    t0, written = _three(client, rid)
    assert [w[2] for w in written] == [None, 100.0, 200.0]
    later = ingest(client, [reading(rid, t0 + timedelta(seconds=90), 5.0, net=(600, 0)),  # restarted: counter reset
                            reading(rid, t0 + timedelta(seconds=90), 99.0)])  # not newer: ignored
    assert later == [(t0 + timedelta(seconds=90), 5.0, 20.0)]


def test_cpu_history_at_raw_and_rollup_intervals(client, member):
    rid, vmid = machine(member)
    t0, _ = _three(client, rid)
    raw = _get(member, vmid, "cpu", range="1h")
    assert (raw["vmid"], raw["metric"], raw["range"], raw["interval"]) == (vmid, "cpu", "1h", "30s")
    assert raw["data_points"] == 3 == len(raw["data"])
    assert [p["value"] for p in raw["data"]] == [10.0, 20.0, 30.0]
    assert raw["data"][0]["timestamp"] == int(t0.timestamp())
    assert (raw["average"], raw["min"], raw["max"]) == (20.0, 10.0, 30.0)

    five = _get(member, vmid, "cpu", range="24h", interval="5m")  # the 5-minute rollup, one bucket
    assert five["interval"] == "5m" and five["data_points"] == 1
    assert five["data"][0] == {"timestamp": int(t0.timestamp()), "value": 20.0, "min": 10.0, "max": 30.0}
    hourly = _get(member, vmid, "cpu", range="30d")  # auto: the hourly rollup
    assert hourly["interval"] == "1h" and hourly["data_points"] == 1 and hourly["average"] == 20.0
    assert _get(member, vmid, "cpu", range="24h")["interval"] == "1m"
    assert _get(member, vmid, "cpu", range="7d")["interval"] == "1h"


def test_memory_network_disk_and_summary_fields(client, member):
    rid, vmid = machine(member)
    t0, _ = _three(client, rid)
    mem = _get(member, vmid, "memory", range="1h", interval="5m")
    assert mem["data"] == [{"timestamp": int(t0.timestamp()), "value": 200 * MB, "percent": 50.0}]
    assert (mem["average"], mem["min"], mem["max"]) == (200 * MB, 100 * MB, 300 * MB)

    net = _get(member, vmid, "network", range="1h", interval="5m")
    assert net["data"] == [{"timestamp": int(t0.timestamp()), "in": 9000, "out": 1200, "in_rate": 150.0,
                            "out_rate": 20.0}]
    assert net["totals"] == {"in": 9000, "out": 1200}
    raw = _get(member, vmid, "network", range="1h")
    assert [(p["in"], p["in_rate"]) for p in raw["data"]] == [(0, None), (3000, 100.0), (6000, 200.0)]

    disk = _get(member, vmid, "disk", range="1h", interval="1m")
    assert [p["read"] for p in disk["data"]] == [30_000, 0] and disk["totals"] == {"read": 30_000, "write": 3000}
    assert set(disk["data"][0]) == {"timestamp", "read", "write", "read_rate", "write_rate"}

    s = _get(member, vmid, "summary", range="1h")
    assert s["vmid"] == vmid and s["range"] == "1h"
    assert s["cpu"] == {"current": 30.0, "average": 20.0, "min": 10.0, "max": 30.0}
    assert s["memory"] == {"current": 300 * MB, "average": 200 * MB, "total": 400 * MB, "percent": 75.0}
    assert s["network"] == {"in_rate": 200.0, "out_rate": 20.0, "total_in": 9000, "total_out": 1200}
    assert set(s["disk"]) == {"usage", "total", "percent", "read_rate", "write_rate"}
    assert s["disk"]["write_rate"] == 100.0


def test_a_machine_without_samples_answers_empty_series(client, member):
    _, vmid = machine(member)
    body = _get(member, vmid, "cpu")
    assert body["data"] == [] and body["data_points"] == 0 and body["average"] is None
    assert _get(member, vmid, "summary")["cpu"]["current"] is None


@pytest.mark.parametrize("params, why", [
    ({"range": "2h"}, "Invalid range"),
    ({"range": ""}, "Invalid range"),
    ({"interval": "2m"}, "Invalid interval"),
    ({"range": "30d", "interval": "30s"}, "more than 1500 points"),
    ({"range": "7d", "interval": "5m"}, "more than 1500 points"),
    ({"range": "x" * 9}, ""),
])
def test_bad_range_or_interval_is_400(client, member, params, why):
    _, vmid = machine(member)
    body = assert_error(client.get(f"/api/analytics/{vmid}/cpu", params=params, headers=member.headers),
                        400, "BAD_REQUEST")
    assert why in body["message"]


def test_unknown_or_malformed_vmid(client, member):
    assert_error(client.get("/api/analytics/999999/cpu", headers=member.headers), 404, "NOT_FOUND")
    assert_error(client.get("/api/analytics/99/cpu", headers=member.headers), 400, "BAD_REQUEST")
    assert_error(client.get("/api/analytics/abc/memory", headers=member.headers), 400, "BAD_REQUEST")
    assert client.get("/api/analytics/100/load", headers=member.headers).status_code == 404
    assert_error(client.get("/api/analytics/100/cpu"), 401, "UNAUTHORIZED")


def test_a_second_member_cannot_read_the_first_members_history(client, member, make_account, admin):
    rid, vmid = machine(member, name="alice-secret-box")
    _three(client, rid)
    bob = make_account()
    unknown = client.get("/api/analytics/999999/cpu", headers=bob.headers).json()
    for metric in ("cpu", "memory", "network", "disk", "summary"):
        r = client.get(f"/api/analytics/{vmid}/{metric}", headers=bob.headers)
        body = assert_error(r, 404, "NOT_FOUND")
        assert "alice-secret" not in r.text and body["message"] == unknown["message"]  # as an unknown vmid
    assert _get(admin, vmid, "cpu")["data_points"] == 3  # admins see everything


def test_prune_drops_what_outlived_its_retention(client, member):
    from datetime import datetime, timezone

    from cloudfold.domain.metrics import store

    rid, vmid = machine(member)
    now = datetime.now(timezone.utc)
    old = now - timedelta(days=40)
    ingest(client, [reading(rid, old, 50.0), reading(rid, now - timedelta(hours=50), 40.0),
                    reading(rid, now - timedelta(minutes=2), 30.0)])
    rt = client.app.state.runtime
    with rt.sessions() as session:
        dropped = store.prune(session, rt.settings, now)
    assert dropped == {"raw": 2, "300s": 1, "3600s": 0}
    assert _get(member, vmid, "cpu", range="1h")["data_points"] == 1
    assert _get(member, vmid, "cpu", range="30d")["data_points"] == 2  # the hourly rollups stay a year


def test_sampling_and_pruning_run_as_queued_jobs(client):
    import time as clock

    from cloudfold.db.models import Task

    rt = client.app.state.runtime
    ids = [rt.queue.enqueue("metrics.prune"), rt.queue.enqueue("metrics.sample_due")]
    deadline = clock.monotonic() + 20
    while clock.monotonic() < deadline:
        with rt.sessions() as session:
            tasks = [session.get(Task, i) for i in ids]
            if all(t.status in ("succeeded", "failed") for t in tasks):
                break
        clock.sleep(0.1)
    assert [t.status for t in tasks] == ["succeeded", "succeeded"], [t.error for t in tasks]
    assert tasks[0].result == {"raw": 0, "300s": 0, "3600s": 0}
    assert tasks[1].result == {"accounts": 0, "samples": 0, "failed": 0}  # no account to sample
