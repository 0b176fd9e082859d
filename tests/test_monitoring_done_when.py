"""Issue 10's "done when", in one run against real servers: an HTTPS endpoint (a certificate
the test makes) and a domain (dnsmasq on a loopback port) are watched; three instances start
on the real Podman engine and, within the deadline, show in `/monitor/summary`,
`/monitor/vm-status` and `/monitor/endpoints`; an hour of CPU history is read from seed 004's
analytics; an instance is stopped and an alert reaches a real SMTP server and a webhook
receiver, then the resolved notification once it runs again; `/api/ws` carried the stop and
start. The probe engine and the sampler run as they do in `cloudfold serve`; alert evaluation
is stepped (alerts_support.Clock) so the hysteresis takes three evaluations, not minutes."""

from __future__ import annotations

import time
import uuid

import pytest

from alerts_support import QUICK, Clock, active, post, smtp, webhook  # noqa: F401  (fixtures)
from engine import IMAGE
from helpers_api import events_until
from localcloud_support import LABELS, POOL, remove_labelled
from monitor_targets import start as start_targets

pytestmark = pytest.mark.database

DEADLINE = 120  # the issue: "within two minutes"


def until(check, what: str, timeout: float = DEADLINE, show=None):
    end = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"not within {timeout} s: {what}" + (f"; now: {show()}" if show else ""))
        time.sleep(1)


@pytest.fixture
def targets(tmp_path):
    t = start_targets(tmp_path)
    yield t
    t.close()


def test_watch_three_instances_an_endpoint_and_a_domain(make_client, make_account, engine_socket, targets, smtp,
                                                        webhook):
    handler, smtp_port = smtp
    client = make_client(**QUICK, docker_host=engine_socket, local_vpc_pool=POOL, auto_register_local=True,
                         monitor_engine=True, monitor_ca_file=targets.ca_file, monitor_reconcile_seconds=2,
                         monitor_min_interval_seconds=5, metrics_sample_seconds=5, smtp_host="127.0.0.1",
                         smtp_port=smtp_port, smtp_from="alerts@cloudfold.test")
    admin = make_account("admin", client_=client)
    h = admin.headers
    r = client.put("/api/providers/local", json={"config": {"docker_host": engine_socket, "labels": LABELS}},
                   headers=h)
    assert r.status_code == 200, r.text
    try:
        # an HTTPS endpoint and a domain, probed every 5 s
        post(admin, "/api/monitors", {"name": "shop", "kind": "http", "target": targets.https["valid"],
                                      "interval_seconds": 5, "timeout_seconds": 4})
        post(admin, "/api/monitors", {"name": "web.cloudfold.test", "kind": "dns", "target": "web.cloudfold.test",
                                      "interval_seconds": 5, "timeout_seconds": 4,
                                      "config": {"server": targets.dns, "record_type": "A",
                                                 "expected": "127.0.0.10"}})
        names = [f"watch-{uuid.uuid4().hex[:6]}" for _ in range(3)]
        made = [post(admin, "/instances", {"name": n, "image": IMAGE, "command": ["sleep", "600"]}) for n in names]

        def summary_ready():
            s = client.get("/monitor/summary", headers=h).json()
            return s if s["endpoints"]["healthy"] >= 1 and s["containers"]["running"] >= 3 \
                and s["monitors"]["up"] >= 2 else None

        summary = until(summary_ready, "the endpoint, the domain and three running containers in /monitor/summary")
        assert summary["endpoints"]["down"] == 0
        # an instance's machine is named on the engine after it: "<name>-<first characters of its id>"
        ours = lambda v: any(v["name"].startswith(n + "-") for n in names)  # noqa: E731
        status = until(lambda: (lambda vs: vs if len(vs) == 3 else None)(
            [v for v in _vm_status(client, h) if ours(v) and v["lastCheck"]]),
            "the three instances probed in /monitor/vm-status", show=lambda: _vm_status(client, h))
        assert all(v["ip"] for v in status), status
        [endpoint] = [e for e in client.get("/monitor/endpoints", headers=h).json()["endpoints"]
                      if e["url"] == targets.https["valid"]]
        assert endpoint["httpCode"] == 200 and endpoint["sslValid"] is True and endpoint["sslExpiry"]

        # an hour of CPU history for one of them (seed 004 analytics, by vmid)
        vmid = made[0]["vmid"]
        cpu = until(lambda: (lambda b: b if b.get("data_points", 0) >= 1 else None)(
            client.get(f"/api/analytics/{vmid}/cpu", params={"range": "1h"}, headers=h).json()),
            "a CPU sample in the instance's history")
        assert cpu["range"] == "1h" and cpu["data"][0]["timestamp"]

        # an alert by email and webhook when it stops; resolved when it runs again; /api/ws hears both
        receiver = webhook()
        post(admin, "/api/alert-channels", {"name": "mail", "type": "email", "to": ["oncall@example.com"]})
        post(admin, "/api/alert-channels", {"name": "hook", "type": "webhook", "url": receiver.url})
        post(admin, "/api/alert-rules", {"name": "instance down", "kind": "not_running",
                                         "resource_id": made[0]["resource_id"], "severity": "critical"})
        clock = Clock(client)
        clock.tick()
        with client.websocket_connect("/api/ws", subprotocols=["cloudfold.bearer", admin.key]) as ws:
            r = client.put(f"/instances/{made[0]['id']}", json={"status": "stopped"}, headers=h)
            assert r.status_code == 200 and r.json()["status"] == "stopped", r.text
            events_until(ws, lambda e: e["type"] == "container.stopped" and e["vmid"] == vmid, limit=200)
            clock.tick(3)
            [alert] = active(admin, "/monitor/alerts")
            assert alert["target"].startswith(names[0] + "-") and alert["status"] == "firing"
            assert [m[1]["Subject"] for m in handler.messages] == ["[FIRING:1] instance down (critical)"]
            assert [b["status"] for b in receiver.bodies] == ["firing"]

            r = client.put(f"/instances/{made[0]['id']}", json={"status": "running"}, headers=h)
            assert r.status_code == 200 and r.json()["status"] == "running", r.text
            events_until(ws, lambda e: e["type"] == "container.started" and e["vmid"] == vmid, limit=200)
        clock.tick(2)
        assert active(admin) == []
        assert [m[1]["Subject"] for m in handler.messages][-1] == "[RESOLVED] instance down (critical)"
        assert [b["status"] for b in receiver.bodies] == ["firing", "resolved"]
    finally:
        remove_labelled(engine_socket, LABELS)


def _vm_status(client, headers) -> list[dict]:
    body = client.get("/monitor/vm-status", headers=headers).json()
    return body["vms"] if isinstance(body, dict) else body
