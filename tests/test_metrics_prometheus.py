"""`GET /metrics`: Prometheus text for admins or the scrape token; request counters of this
process and per-machine gauges read from the database."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from prometheus_client.parser import text_string_to_metric_families

from conftest import assert_error
from metrics_support import MB, ingest, machine, reading


def _families(text: str) -> dict:
    return {f.name: f for f in text_string_to_metric_families(text)}


def test_admin_reads_request_metrics_and_machine_gauges(client, admin, member):
    rid, vmid = machine(member, name="gauge-box")
    now = datetime.now(timezone.utc)
    ingest(client, [reading(rid, now - timedelta(seconds=30), 12.5, mem=64 * MB, net=(0, 0)),
                    reading(rid, now, 37.5, mem=96 * MB, net=(30_000, 0))])
    assert client.get("/api/analytics/%d/cpu" % vmid, headers=member.headers).status_code == 200
    r = client.get("/metrics", headers=admin.headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    families = _families(r.text)
    cpu = [s for s in families["cloudfold_machine_cpu_percent"].samples if s.labels["vmid"] == str(vmid)]
    assert len(cpu) == 1 and cpu[0].value == 37.5 and cpu[0].labels["name"] == "gauge-box"
    mem = [s for s in families["cloudfold_machine_memory_bytes"].samples if s.labels["vmid"] == str(vmid)]
    assert mem[0].value == 96 * MB
    rate = [s for s in families["cloudfold_machine_network_receive_bytes_per_second"].samples
            if s.labels["vmid"] == str(vmid)]
    assert rate[0].value == 1000.0
    requests = [s for s in families["cloudfold_http_requests"].samples
                if s.name == "cloudfold_http_requests_total" and s.labels["route"] == "/api/analytics/{vmid}/cpu"
                and s.labels["status"] == "200"]  # the registry is the process's: other tests' requests count too
    assert requests and requests[0].value >= 1
    assert "cloudfold_http_request_duration_seconds" in families and "cloudfold_tasks" in families


def test_members_and_anonymous_callers_are_refused(client, member):
    assert_error(client.get("/metrics", headers=member.headers), 403, "FORBIDDEN")
    assert_error(client.get("/metrics"), 401, "UNAUTHORIZED")
    assert_error(client.get("/metrics", headers={"Authorization": "Bearer not-a-token"}), 401, "UNAUTHORIZED")


def test_the_scrape_token_reads_metrics(make_client):
    c = make_client(metrics_scrape_token="scrape-" + "x" * 30)
    r = c.get("/metrics", headers={"Authorization": "Bearer scrape-" + "x" * 30})
    assert r.status_code == 200 and "cloudfold_tasks" in r.text
    assert_error(c.get("/metrics", headers={"Authorization": "Bearer scrape-" + "y" * 30}), 401, "UNAUTHORIZED")
