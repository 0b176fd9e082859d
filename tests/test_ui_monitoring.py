"""The Monitoring page over HTTP: monitors with state, uptime and a latency sparkline, firing
alerts acknowledged and silenced through the API's use cases, a machine's charts over each
range from the analytics domain; a viewer sees no buttons and is refused anyway, another
member's alerts are not there."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from alerts_support import QUICK, Clock, active, machine, post, set_status
from fastapi.testclient import TestClient
from helpers_api import db
from metrics_support import aligned_now, ingest, reading
from ui_support import signed_in

from cloudfold.db.base import utcnow
from cloudfold.db.models import MonitorCheck


@pytest.fixture
def client(make_client):
    return make_client(**QUICK)


def firing_alert(member) -> dict:
    box = machine(member)
    post(member, "/api/alert-rules", {"name": "down", "kind": "not_running", "resource_id": box["id"]})
    clock = Clock(member.client)
    clock.tick()
    set_status(member, box["id"], "stopped")
    clock.tick(3)
    [alert] = active(member)
    return alert


def test_alerts_acknowledge_and_silence(client, member):
    alert = firing_alert(member)
    token = signed_in(client, member)
    page = client.get("/ui/monitoring").text
    assert f'data-alert="{alert["id"]}"' in page and 'data-action="ack"' in page and 'data-action="silence"' in page
    assert 'data-live-types="monitor.state alert.opened alert.resolved"' in page
    r = client.post(f"/ui/monitoring/alerts/{alert['id']}/ack", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    assert active(member)[0]["acknowledged"] is True
    page = client.get("/ui/monitoring").text
    assert "data-acked" in page and 'data-action="ack"' not in page
    for bad in ("", "0", "many", "999999"):
        r = client.post(f"/ui/monitoring/alerts/{alert['id']}/silence", data={"csrf_token": token, "minutes": bad})
        assert r.status_code == 400 and 'class="field-error"' in r.text, bad
    assert active(member)[0]["silenced_until"] is None  # bad input changed nothing
    r = client.post(f"/ui/monitoring/alerts/{alert['id']}/silence", data={"csrf_token": token, "minutes": "60"},
                    follow_redirects=False)
    assert r.status_code == 303 and active(member)[0]["silenced_until"] is not None
    assert "data-silenced" in client.get("/ui/monitoring").text
    assert client.post("/ui/monitoring/alerts/999999/ack", data={"csrf_token": token}).status_code == 404
    assert client.post(f"/ui/monitoring/alerts/{alert['id']}/ack", data={}).status_code == 403  # no CSRF token


def test_viewer_and_another_member(client, member, make_account):
    alert = firing_alert(member)
    other = TestClient(client.app, raise_server_exceptions=False)
    other_token = signed_in(other, make_account("member"))
    assert f'data-alert="{alert["id"]}"' not in other.get("/ui/monitoring").text
    r = other.post(f"/ui/monitoring/alerts/{alert['id']}/ack", data={"csrf_token": other_token})
    assert r.status_code == 404
    viewer = TestClient(client.app, raise_server_exceptions=False)
    viewer_token = signed_in(viewer, make_account("viewer"))
    page = viewer.get("/ui/monitoring").text
    assert "data-action=" not in page
    r = viewer.post(f"/ui/monitoring/alerts/{alert['id']}/silence", data={"csrf_token": viewer_token,
                                                                           "minutes": "60"})
    assert r.status_code == 403
    assert active(member)[0]["silenced_until"] is None and active(member)[0]["acknowledged"] is False


def test_monitors_with_uptime_and_sparkline(client, admin):
    monitor = post(admin, "/api/monitors", {"kind": "http", "target": "http://127.0.0.1:9/", "name": "home page"})
    now = utcnow()
    with db(client) as session:
        for i, ms in enumerate([12.0, 15.0, 30.0, 11.0]):
            session.add(MonitorCheck(monitor_id=monitor["id"], time=now - timedelta(minutes=4 - i), ok=i != 2,
                                     latency_ms=ms))
    signed_in(client, admin)
    page = client.get("/ui/monitoring").text
    assert f'data-monitor="{monitor["id"]}"' in page and "home page" in page and "75.00 %" in page
    spark = json.loads(re.search(r"data-spark='([^']+)'", page).group(1))
    assert spark == [12.0, 15.0, 30.0, 11.0]  # oldest first


def test_machine_charts_over_each_range(client, member):
    box = machine(member, "charted")
    start = aligned_now(300)
    ingest(client, [reading(box["id"], start + timedelta(seconds=30 * i), cpu=10.0 + i, net=(1000 * i, 0))
                    for i in range(4)])
    signed_in(client, member)
    for rng in ("1h", "24h", "7d", "30d"):
        page = client.get(f"/ui/monitoring/machines/{box['id']}", params={"range": rng})
        assert page.status_code == 200, page.text
        charts = {m.group(1): json.loads(m.group(2)) for m in
                  re.finditer(r'id="chart-(\w+)" data-chart=\'([^\']+)\'', page.text)}
        assert set(charts) == {"cpu", "memory", "network", "disk"}, rng
        assert any(v is not None for v in charts["cpu"]["series"][0]["values"])
    assert 'data-live-types="metrics.update resource_change"' in page.text
    r = client.get(f"/ui/monitoring/machines/{box['id']}", params={"range": "2y"})
    assert r.status_code == 400 and "Invalid range" in r.text
    other = TestClient(client.app, raise_server_exceptions=False)
    signed_in(other, member.__class__(client, member.email))  # the same user in another browser sees it
    assert other.get(f"/ui/monitoring/machines/{box['id']}").status_code == 200
    assert client.get("/ui/monitoring/machines/999999").status_code == 404


def test_machine_charts_of_another_member_are_not_found(client, member, make_account):
    box = machine(member, "private")
    other = TestClient(client.app, raise_server_exceptions=False)
    signed_in(other, make_account("member"))
    assert other.get(f"/ui/monitoring/machines/{box['id']}").status_code == 404
