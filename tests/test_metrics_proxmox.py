"""Proxmox guests are sampled from their rrddata, served by the PVE STAND-IN
(tests/pve_standin.py: shaped after PVE's documented API, not a live Proxmox): the newest
point with figures, CPU as a share of the guest's cores (100 = one core), rates as PVE gives
them. A guest without points is no sample; the account is not failed for it."""

from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest
from sqlalchemy import update

from cloudfold.db.models import MetricSource
from cloudfold.domain.metrics import sampler
from inventory_support import find, register, sync
from test_driver_proxmox import TOKEN, make_driver, pve, tls  # noqa: F401  (fixtures)

pytestmark = pytest.mark.database


def _points(now: int) -> list[dict]:
    step = now - now % 60
    return [{"time": step - 120, "cpu": 0.10, "maxcpu": 4, "mem": 1024**3, "maxmem": 2 * 1024**3, "netin": 500.0,
             "netout": 250.0, "diskread": 10.0, "diskwrite": 20.0},
            {"time": step - 60, "cpu": 0.25, "maxcpu": 4, "mem": 1024**3 // 2, "maxmem": 2 * 1024**3,
             "netin": 1500.0, "netout": 750.0, "diskread": 0.0, "diskwrite": 40.0},
            {"time": step}]  # the running minute: no figures yet


def test_the_driver_reads_the_newest_rrd_point(make_driver, pve):
    pve.state.guests[100].rrd = _points(int(time.time()))
    found = make_driver().metrics(["pve1/qemu/100", "pve1/lxc/200", "pve1/qemu/555"])
    assert list(found) == ["pve1/qemu/100"]  # 200 has no points, 555 is gone
    r = found["pve1/qemu/100"]
    assert r["cpu_percent"] == 100.0 and r["mem_bytes"] == 1024**3 // 2 and r["net_in_rate"] == 1500.0
    assert r["span"] == 60 and r["time"].timestamp() % 60 == 0
    assert ("GET", "/nodes/pve1/qemu/100/rrddata") in [(m, p.split("?")[0]) for m, p in pve.state.log]


def test_guests_are_sampled_through_the_sampler(client, admin, pve, tls):
    pve.state.guests[100].rrd = _points(int(time.time()))
    register(admin, "proxmox", "pve", {"host": pve.host, "verify_ssl": str(tls[0]), "timeout": 5}, TOKEN)
    sync(admin, "pve")
    vmid = int(find(admin, "pve", "web1", kind="vm")["id"]) + 99
    rt = client.app.state.runtime
    with rt.sessions() as session:
        session.execute(update(MetricSource).values(next_due_at=datetime.now(timezone.utc)))
        session.commit()
        done = sampler.sample_due(session, rt)
    assert done["failed"] == 0 and done["samples"] >= 1
    s = client.get(f"/api/analytics/{vmid}/summary", headers=admin.headers).json()
    assert s["cpu"]["current"] == 100.0 and s["memory"]["percent"] == 25.0
    assert s["network"]["in_rate"] == 1500.0 and s["disk"]["write_rate"] == 40.0
    net = client.get(f"/api/analytics/{vmid}/network", params={"interval": "5m"}, headers=admin.headers).json()
    assert net["totals"] == {"in": 1500 * 60, "out": 750 * 60}
