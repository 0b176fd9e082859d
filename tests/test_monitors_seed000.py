"""Seed 000's probe views over the monitors: /monitor/vm-status from the auto ping/SSH
monitors of inventory machines (made and removed by the reconcile step, probed through the
egress rule), /monitor/endpoints, /monitor/summary, /monitor, /monitor/orchestrate, the admin
refreshes (a task), and /domains/{domain}/status|ssl against certificates the tests make."""

from __future__ import annotations

import pytest

import monitor_targets
from conftest import assert_error
from helpers_api import wait_for_task, wait_until

pytestmark = pytest.mark.database


@pytest.fixture(scope="module")
def targets(tmp_path_factory):
    t = monitor_targets.start(tmp_path_factory.mktemp("targets"))
    yield t
    t.close()


def _world(make_client, make_account, targets, **settings):
    client = make_client(**{"monitor_engine": True, "monitor_ca_file": targets.ca_file, "monitor_jitter_seconds": 0,
                            "monitor_tick_seconds": 0.1, **settings})
    return client, make_account("member", client_=client), make_account("member", client_=client), \
        make_account("admin", client_=client)


def _machine(client, who, address, kind="vm", **meta):
    body = {"name": f"box-{address}", "resource_type": kind, "status": "running",
            "metadata": {"ip_address": address, **meta}}
    r = client.post("/api/resources", json=body, headers=who.headers)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _refresh(client, admin, path="/monitor/refresh") -> dict:
    r = client.post(path, headers=admin.headers)
    assert r.status_code == 202, r.text
    assert r.json()["success"] is True and r.json()["status"] == "pending"
    task = wait_for_task(client, admin.headers, r.json()["task_id"], timeout=30)
    assert task["status"] == "succeeded", task
    return task["result"]


def test_vm_status_from_auto_monitors(make_client, make_account, targets):
    client, alice, bob, admin = _world(make_client, make_account, targets, egress_allow=["127.0.0.0/8"])
    rid = _machine(client, alice, "127.0.0.1")
    result = _refresh(client, admin)
    assert result["auto_monitors"]["created"] == 2 and result["probed"] >= 2
    vms = client.get("/monitor/vm-status", headers=alice.headers).json()
    assert vms["total"] == 1
    vm = vms["vms"][0]
    assert vm["vmId"] == str(rid) and vm["ip"] == "127.0.0.1" and vm["pingable"] is True
    assert isinstance(vm["sshable"], bool) and isinstance(vm["latencyMs"], int) and vm["lastCheck"]
    auto = client.get("/api/monitors?auto=true", headers=alice.headers).json()
    assert sorted(m["kind"] for m in auto["monitors"]) == ["ping", "ssh"]
    assert all(m["resource_id"] == rid and m["auto"] for m in auto["monitors"])
    # an auto monitor follows its machine: timing may change, not the target; it cannot be deleted
    ping = next(m for m in auto["monitors"] if m["kind"] == "ping")
    assert_error(client.patch(f"/api/monitors/{ping['id']}", json={"target": "127.0.0.2"}, headers=alice.headers),
                 400, "BAD_REQUEST")
    assert client.patch(f"/api/monitors/{ping['id']}", json={"interval_seconds": 120},
                        headers=alice.headers).status_code == 200
    assert_error(client.delete(f"/api/monitors/{ping['id']}", headers=alice.headers), 409, "CONFLICT")
    # auto monitors count toward no quota
    assert client.get("/api/quotas/me", headers=alice.headers).json()["quotas"]["monitors"]["used"] == 0
    # bob sees nothing of alice's machine; the admin sees it
    assert client.get("/monitor/vm-status", headers=bob.headers).json() == {"vms": [], "total": 0}
    assert client.get("/api/monitors", headers=bob.headers).json()["total"] == 0
    assert_error(client.get(f"/api/monitors/{ping['id']}", headers=bob.headers), 404, "NOT_FOUND")
    assert client.get("/monitor/vm-status", headers=admin.headers).json()["total"] == 1
    # the machine goes: so do its monitors
    assert client.delete(f"/api/resources/{rid}", headers=alice.headers).status_code in (200, 204)
    _refresh(client, admin)
    assert client.get("/api/monitors?auto=true", headers=admin.headers).json()["total"] == 0
    assert client.get("/monitor/vm-status", headers=alice.headers).json()["total"] == 0


def test_auto_monitors_follow_address_changes_and_the_egress_rule(make_client, make_account, targets):
    client, alice, _, admin = _world(make_client, make_account, targets)  # no allow-list
    rid = _machine(client, alice, "127.0.0.1")
    _refresh(client, admin)
    vm = client.get("/monitor/vm-status", headers=alice.headers).json()["vms"][0]
    assert vm["pingable"] is False and vm["sshable"] is False  # refused at probe time, not probed
    ping = next(m for m in client.get("/api/monitors?auto=true&kind=ping", headers=alice.headers).json()["monitors"])
    assert ping["state"] == "down" or ping["last_error"]
    assert "egress rule" in ping["last_error"]
    # a machine with no address loses its monitors; a new address is followed
    r = client.put(f"/api/resources/{rid}", json={"metadata": {"ip_address": "127.0.0.2"}}, headers=alice.headers)
    assert r.status_code == 200, r.text
    _refresh(client, admin)
    targets_now = {m["kind"]: m["target"] for m in
                   client.get("/api/monitors?auto=true", headers=alice.headers).json()["monitors"]}
    assert targets_now == {"ping": "127.0.0.2", "ssh": "127.0.0.2:22"}


def test_endpoints_summary_and_overview(make_client, make_account, targets):
    client, alice, bob, admin = _world(make_client, make_account, targets, egress_allow=["127.0.0.0/8"])
    ids = []
    for url, config in ((targets.https["valid"], {}), (targets.http, {"wake_on_demand": True}),
                        (targets.https["expired"], {})):
        r = client.post("/api/monitors", json={"kind": "http", "target": url, "config": config, "retries": 0},
                        headers=alice.headers)
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    wait_until(lambda: all(client.get(f"/api/monitors/{i}", headers=alice.headers).json()["state"] != "pending"
                           for i in ids), 20, "endpoints checked")
    eps = {e["monitorId"]: e for e in client.get("/monitor/endpoints", headers=alice.headers).json()["endpoints"]}
    valid, plain, expired = (eps[i] for i in ids)
    assert valid["httpCode"] == 200 and valid["sslValid"] is True and valid["sslExpiry"] and valid["status"] == "up"
    assert plain["sslValid"] is None and plain["wakeOnDemand"] is True and plain["httpCode"] == 200, \
        client.get(f"/api/monitors/{ids[1]}", headers=alice.headers).json()
    assert expired["sslValid"] is False and expired["status"] == "down"
    summary = client.get("/monitor/summary", headers=alice.headers).json()
    assert summary["endpoints"] == {"total": 3, "healthy": 2, "down": 1, "ssl_expiring": 0}
    assert summary["monitors"]["total"] == 3 and summary["monitors"]["up"] == 2
    overview = client.get("/monitor", headers=alice.headers).json()
    assert overview["summary"]["endpoints"]["total"] == 3 and len(overview["endpoints"]) == 3
    assert client.get("/monitor/endpoints", headers=bob.headers).json()["total"] == 0
    assert client.get("/monitor/summary", headers=bob.headers).json()["monitors"]["total"] == 0


def test_orchestrators_found_by_image_or_label(make_client, make_account, targets):
    client, alice, bob, admin = _world(make_client, make_account, targets, monitor_engine=False)
    dockge = _machine(client, alice, "10.0.0.5", kind="container", image="louislam/dockge:1",
                      ports=["0.0.0.0:5001->5001/tcp"])
    labelled = _machine(client, alice, "10.0.0.6", kind="container", image="example/ui:2",
                        labels={"cloudfold.orchestrator": "Portainer"})
    _machine(client, alice, "10.0.0.7", kind="container", image="nginx:1")
    found = client.get("/monitor/orchestrate", headers=alice.headers).json()
    assert found["total"] == 2
    by_id = {o["vmId"]: o for o in found["instances"]}
    assert by_id[str(dockge)]["kind"] == "dockge" and by_id[str(dockge)]["urls"] == ["http://localhost:5001"]
    assert by_id[str(labelled)]["kind"] == "portainer"
    assert client.get("/monitor/orchestrate", headers=bob.headers).json()["total"] == 0


def test_refresh_needs_admin(make_client, make_account, targets):
    client, alice, _, admin = _world(make_client, make_account, targets, monitor_engine=False)
    for path in ("/monitor/refresh", "/actions/refresh-all"):
        assert_error(client.post(path, headers=alice.headers), 403, "FORBIDDEN")
        assert_error(client.post(path), 401, "UNAUTHORIZED")
    assert "probed" in _refresh(client, admin, "/actions/refresh-all")


def test_domain_ssl_and_status(make_client, make_account, targets):
    client, alice, _, _ = _world(make_client, make_account, targets, egress_allow=["127.0.0.0/8"],
                                     monitor_engine=False)
    port = {name: url.rsplit(":", 1)[1].strip("/") for name, url in targets.https.items()}
    ssl = client.get(f"/domains/127.0.0.1/ssl?port={port['valid']}", headers=alice.headers).json()
    assert ssl["chain_valid"] is True and "127.0.0.1" in ssl["sans"] and ssl["days_left"] > 300
    assert ssl["issuer"] and ssl["not_before"] and ssl["not_after"] and ssl["error"] is None
    expired = client.get(f"/domains/127.0.0.1/ssl?port={port['expired']}", headers=alice.headers).json()
    assert expired["chain_valid"] is False and expired["days_left"] < 0 and "expired" in expired["error"]
    wrong = client.get(f"/domains/127.0.0.1/ssl?port={port['wrong_name']}", headers=alice.headers).json()
    assert wrong["chain_valid"] is False and wrong["sans"] == ["other.cloudfold.test"]
    status = client.get(f"/domains/127.0.0.1/status?port={port['valid']}", headers=alice.headers).json()
    assert status["dns"]["resolved"] is True and status["dns"]["addresses"] == ["127.0.0.1"]
    assert status["tls"]["valid"] is True and status["http"]["status_code"] == 200 and status["http"]["ok"] is True
    plain = targets.http.rsplit(":", 1)[1].strip("/")
    status = client.get(f"/domains/127.0.0.1/status?port={plain}", headers=alice.headers).json()
    assert status["tls"]["valid"] is None and status["http"]["url"].startswith("http://")
    assert status["http"]["status_code"] == 200, status
    closed = client.get(f"/domains/127.0.0.1/ssl?port={targets.closed.rsplit(':', 1)[1]}", headers=alice.headers)
    assert closed.status_code == 200 and closed.json()["chain_valid"] is False and closed.json()["subject"] is None
    # bad input
    for path in ("/domains/bad..name/status", "/domains/a%20b/ssl", "/domains/127.0.0.1/ssl?port=0",
                 "/domains/127.0.0.1/status?port=x"):
        assert_error(client.get(path, headers=alice.headers), 400, "BAD_REQUEST")
    assert_error(client.get("/domains/127.0.0.1/ssl"), 401, "UNAUTHORIZED")


def test_domain_egress_refused_for_members(make_client, make_account, targets):
    client = make_client(monitor_engine=False)
    alice, admin = make_account("member", client_=client), make_account("admin", client_=client)
    port = targets.https["valid"].rsplit(":", 1)[1].strip("/")
    for path in (f"/domains/127.0.0.1/ssl?port={port}", f"/domains/localhost/status?port={port}",
                 "/domains/169.254.169.254/status"):
        out = assert_error(client.get(path, headers=alice.headers), 400, "BAD_REQUEST")
        assert "egress rule" in out["message"]
    assert client.get(f"/domains/127.0.0.1/ssl?port={port}", headers=admin.headers).status_code == 200
