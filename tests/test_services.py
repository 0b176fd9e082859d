"""Seed 000 serviceControl against real Podman containers: services grouped by compose
project or cloudfold's own label, live health, restart through the one action path, logs."""

from __future__ import annotations

import json
import time
import uuid

import pytest

from conftest import assert_error
from inventory_support import register, sync

pytestmark = pytest.mark.database  # also run on PostgreSQL in CI

COMPOSE = "com.docker.compose.project"
PRINT_AND_SLEEP = ("sh", "-c", "for i in $(seq 1 20); do echo line$i; done; echo oops >&2; exec sleep 300")


def compose(project: str, service: str) -> dict:
    return {COMPOSE: project, "com.docker.compose.service": service}


@pytest.fixture
def shop(admin, make_container, engine_socket):
    """A compose project (web + worker), another project, a labelled service and a loose container."""
    project = f"shop{uuid.uuid4().hex[:8]}"
    web = make_container(PRINT_AND_SLEEP, labels=compose(project, "web"))
    worker = make_container(labels=compose(project, "worker"))
    other = make_container(labels=compose(f"{project}-other", "web"))
    mine = make_container(labels={"cloudfold.service": f"{project}-own", "cloudfold.service-type": "A120"})
    loose = make_container()
    register(admin, "local", "podman", {"docker_host": engine_socket})
    sync(admin, "podman")
    return {"project": project, "id": f"podman:{project}", "web": web, "worker": worker, "other": other,
            "mine": mine, "loose": loose}


def test_compose_containers_are_grouped_by_project(client, admin, shop):
    r = client.get(f"/services/{shop['id']}/containers", headers=admin.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["serviceId"] == shop["id"] and body["name"] == shop["project"] and body["total"] == 2
    by_component = {c["component"]: c for c in body["containers"]}
    assert set(by_component) == {"web", "worker"}
    web = by_component["web"]
    assert web["name"] == shop["web"].name and web["containerId"] == shop["web"].id
    assert web["running"] is True and web["status"] == "running" and web["service"] == shop["id"]
    assert web["image"] and web["networks"] and web["ip"] and web["vmId"] == "podman"
    assert set(web) >= {"restarts", "memoryMb", "cpuPercent", "mounts", "ports", "ipAddresses", "database"}

    # a bare name works when it names one service; cloudfold's own label makes a service too
    assert client.get(f"/services/{shop['project']}/containers", headers=admin.headers).json()["total"] == 2
    own = client.get(f"/services/{shop['project']}-own/containers", headers=admin.headers).json()
    assert [c["name"] for c in own["containers"]] == [shop["mine"].name]
    other = client.get(f"/services/podman:{shop['project']}-other/containers", headers=admin.headers).json()
    assert [c["name"] for c in other["containers"]] == [shop["other"].name]
    # an unlabelled container belongs to no service
    assert_error(client.get(f"/services/{shop['loose'].name}/containers", headers=admin.headers), 404, "NOT_FOUND")


def test_health_reads_live_state(client, admin, shop):
    h = admin.headers
    body = client.get(f"/services/{shop['id']}/health", headers=h).json()
    assert (body["status"], body["running"], body["total"]) == ("healthy", 2, 2), body
    assert body["id"] == shop["id"] and body["checkedAt"] and len(body["containers"]) == 2

    shop["worker"].stop(timeout=1)  # behind cloudfold's back: no sync
    body = client.get(f"/services/{shop['id']}/health", headers=h).json()
    assert (body["status"], body["running"], body["total"]) == ("degraded", 1, 2), body
    stopped = next(c for c in body["containers"] if c["component"] == "worker")
    assert stopped["running"] is False and stopped["status"] == "stopped"

    shop["web"].stop(timeout=1)
    body = client.get(f"/services/{shop['id']}/health", headers=h).json()
    assert (body["status"], body["running"]) == ("down", 0)
    # the inventory kept what health read
    assert client.get(f"/services/{shop['id']}/containers", headers=h).json()["containers"][0]["running"] is False


def _actions_seen(ws, wanted: set[str]) -> list[dict]:
    """resource_change events until every wanted action has one."""
    seen = []
    for _ in range(100):
        event = json.loads(ws.receive_text())
        if event.get("type") == "resource_change":
            seen.append(event)
            if wanted <= {e["action"] for e in seen}:
                return seen
    raise AssertionError(f"only {seen} arrived")


def test_restart_goes_through_the_action_path(client, admin, shop):
    h = admin.headers
    shop["worker"].stop(timeout=1)
    before = shop["web"].attrs["State"]["StartedAt"]
    with client.websocket_connect(f"/ws?token={admin.key}") as ws:
        r = client.post(f"/services/{shop['id']}/restart", params={"timeout": 1}, headers=h)
        assert r.status_code == 200, r.text
        events = _actions_seen(ws, {"reboot", "start"})
    body = r.json()
    assert body["success"] is True and body["restarted"] == 2 and body["failed"] == 0 and body["status"] == "healthy"
    actions = {c["name"]: c for c in body["containers"]}
    assert actions[shop["web"].name]["action"] == "reboot" and actions[shop["worker"].name]["action"] == "start"
    assert actions[shop["worker"].name]["previousStatus"] == "stopped"
    assert all(c["status"] == "running" and c["success"] for c in body["containers"])
    assert {e["resource_id"] for e in events if e["action"] in ("reboot", "start")} == {str(c["id"]) for c in body["containers"]}

    for c in (shop["web"], shop["worker"]):
        c.reload()
        assert c.status == "running"
    assert shop["web"].attrs["State"]["StartedAt"] != before

    ids = {c["name"]: c["id"] for c in client.get(f"/services/{shop['id']}/containers", headers=h).json()["containers"]}
    history = client.get(f"/api/resources/{ids[shop['web'].name]}/logs", headers=h).json()
    assert history[0]["action"] == "reboot" and history[0]["result"] == "success"
    assert history[0]["via"] == "POST /services/{serviceId}/restart"
    audit = client.get("/monitor/audit", params={"action": "resource.start"}, headers=h).json()
    assert audit["total"] == 1 and audit["events"][0]["result"] == "success"
    audit = client.get("/monitor/audit", params={"action": "service.restart"}, headers=h).json()
    assert audit["total"] == 1 and audit["events"][0]["target"] == f"service:{shop['id']}"


def test_logs_return_recent_lines_with_tail_honoured(client, admin, shop):
    h = admin.headers
    deadline = time.monotonic() + 20
    while True:
        body = client.get(f"/services/{shop['id']}/logs", params={"tail": 5}, headers=h).json()
        web = next(c for c in body["containers"] if c["component"] == "web")
        if [x["message"] for x in web["lines"]][-1:] == ["oops"] or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert body["serviceId"] == shop["id"] and body["tail"] == 5
    assert [x["message"] for x in web["lines"]] == ["line17", "line18", "line19", "line20", "oops"]
    assert all(x["time"] for x in web["lines"]) and web["error"] is None
    worker = next(c for c in body["containers"] if c["component"] == "worker")
    assert worker["lines"] == [] and worker["error"] is None

    everything = client.get(f"/services/{shop['id']}/logs", headers=h).json()  # default tail 100
    web = next(c for c in everything["containers"] if c["component"] == "web")
    assert len(web["lines"]) == 21 and web["lines"][0]["message"] == "line1"


def test_bad_inputs(client, admin, member, shop):
    h, sid = admin.headers, shop["id"]
    for path in ("health", "containers", "logs"):
        assert_error(client.get(f"/services/podman:no-such-service/{path}", headers=h), 404, "NOT_FOUND")
        assert_error(client.get(f"/services/{sid}/{path}"), 401, "UNAUTHORIZED")
        # the member cannot see the admin's account, so not its services either
        assert_error(client.get(f"/services/{sid}/{path}", headers=member.headers), 404, "NOT_FOUND")
    assert_error(client.post("/services/podman:no-such-service/restart", headers=h), 404, "NOT_FOUND")
    for tail in ("-1", "0", "1000000", "ten", "1.5"):
        assert_error(client.get(f"/services/{sid}/logs", params={"tail": tail}, headers=h), 400, "BAD_REQUEST")
    assert_error(client.post(f"/services/{sid}/restart", params={"timeout": "-3"}, headers=h), 400, "BAD_REQUEST")

    assert_error(client.post(f"/services/{sid}/restart"), 401, "UNAUTHORIZED")
    key = client.post("/auth/keys", json={"name": "ro", "scopes": ["read"]}, headers=h).json()["key"]
    assert_error(client.post(f"/services/{sid}/restart", headers={"X-API-Key": key}), 403, "FORBIDDEN")
    assert_error(client.post(f"/services/{sid}/restart", headers=member.headers), 403, "FORBIDDEN")
    assert client.get(f"/services/{sid}/health", headers={"X-API-Key": key}).status_code == 200
    shop["web"].reload()
    assert shop["web"].status == "running"
    refused = client.get("/monitor/audit", params={"result": "blocked"}, headers=h).json()
    assert refused["total"] >= 2


def test_a_name_on_two_hosts_needs_the_host(client, admin, shop, engine_socket):
    register(admin, "local", "podman2", {"docker_host": engine_socket})  # the same engine, twice
    sync(admin, "podman2")
    body = assert_error(client.get(f"/services/{shop['project']}/health", headers=admin.headers), 400, "BAD_REQUEST")
    assert f"podman2:{shop['project']}" in body["message"]
    r = client.get(f"/services/podman2:{shop['project']}/containers", headers=admin.headers)
    assert r.status_code == 200 and r.json()["total"] == 2 and r.json()["containers"][0]["vmId"] == "podman2"


def test_engine_gone_gives_503(client, admin, shop):
    admin.client.put("/api/providers/podman", json={"config": {"docker_host": "unix:///nonexistent.sock"}},
                     headers=admin.headers)
    for method, path in (("get", "health"), ("get", "logs"), ("post", "restart")):
        r = getattr(client, method)(f"/services/{shop['id']}/{path}", headers=admin.headers)
        assert_error(r, 503, "SERVICE_UNAVAILABLE")
    shop["web"].reload()
    assert shop["web"].status == "running"
    audit = client.get("/monitor/audit", params={"action": "service.restart"}, headers=admin.headers).json()
    assert audit["total"] == 1 and audit["events"][0]["result"] == "failed"


def test_only_drivers_declaring_logs_read_them():
    from cloudfold.drivers import registry
    from cloudfold.drivers.base import AccountSpec, DriverNotImplemented

    assert "logs" in registry.driver_class("local").capabilities
    proxmox = registry.driver_class("proxmox")
    assert "logs" not in proxmox.capabilities
    driver = proxmox(AccountSpec(id="pve", provider_type="proxmox", region=None, credentials={}, config={}))
    with pytest.raises(DriverNotImplemented, match="cannot read container logs"):
        driver.logs("pve1/lxc/200", 10)
