"""Seed 004 (ProxiCloud) reads against a real Podman engine: the container list (filter,
sort, order), one container's config and current figures, a free name, search by name,
hostname and IP, node info and the dashboard summary, and offline answers from the
inventory when the engine cannot be reached."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import assert_error
from engine import BUSYBOX, TEST_LABELS
from helpers_api import create_key, key_headers
from inventory_support import register, wait_task

pytestmark = pytest.mark.database  # also run on PostgreSQL in CI

MB = 1024 * 1024


def _ok(response) -> dict:
    """A read's answer: the example's fields at the top, and the same under `data`."""
    assert response.status_code == 200, response.text
    body = response.json()
    assert body.pop("success") is True
    assert body.pop("data") == body
    return body


def _live(response) -> dict:
    body = _ok(response)
    assert response.headers["x-cache-status"] == "online"
    return body


def _offline(response) -> dict:
    body = _ok(response)
    assert response.headers["x-cache-status"] == "offline"
    return body


def _mine(body: dict, *names: str) -> dict[str, dict]:
    found = {c["name"]: c for c in body["containers"] if c["name"] in names}
    assert set(found) == set(names), [c["name"] for c in body["containers"]]
    return found


def _ip(engine, container) -> str:
    nets = engine.api.inspect_container(container.id)["NetworkSettings"]["Networks"]
    return next(n["IPAddress"] for n in nets.values() if n.get("IPAddress"))


@pytest.fixture
def tag() -> str:
    return uuid.uuid4().hex[:8]


@pytest.fixture
def podman(admin, engine_socket) -> str:
    register(admin, "local", "podman", {"docker_host": engine_socket})
    return "podman"


def test_list_shows_live_figures_and_filters_sorts_orders(client, admin, podman, make_container, engine, tag):
    up = make_container(name=f"pcr-{tag}-a", mem_limit="64m", nano_cpus=1_000_000_000)
    down = make_container(name=f"pcr-{tag}-b")
    down.stop(timeout=0)
    # no sync has run: the live read finds the containers and gives them vmids
    body = _live(client.get("/api/containers", headers=admin.headers))
    mine = _mine(body, up.name, down.name)
    a, b = mine[up.name], mine[down.name]
    assert set(a) == {"vmid", "name", "status", "template", "cpu", "memory", "disk", "uptime", "cpu_usage",
                      "memory_usage", "network_in", "network_out", "ip_address"}
    assert a["vmid"] >= 100 and a["status"] == "running" and a["cpu"] == 1 and a["memory"] == 64
    assert a["disk"] > 0 and a["uptime"] >= 0 and a["cpu_usage"] >= 0
    assert 0 < a["memory_usage"] <= 64 * MB and a["network_out"] >= 0 and a["network_in"] >= 0
    assert a["ip_address"] == _ip(engine, up)
    info = engine.info()
    assert b["status"] == "stopped" and b["uptime"] == 0 and b["cpu_usage"] == 0 and b["memory_usage"] == 0
    assert b["cpu"] == info["NCPU"] and b["memory"] == info["MemTotal"] // MB  # no limits: the host's
    assert body["total"] == len(body["containers"])
    assert body["running"] == sum(c["status"] == "running" for c in body["containers"])
    assert body["stopped"] == sum(c["status"] == "stopped" for c in body["containers"])

    stopped = _live(client.get("/api/containers", params={"status": "stopped"}, headers=admin.headers))
    assert {c["status"] for c in stopped["containers"]} == {"stopped"} and stopped["running"] == 0
    assert down.name in {c["name"] for c in stopped["containers"]} - {up.name}

    by_name = _ok(client.get("/api/containers", params={"sort": "name", "order": "desc"}, headers=admin.headers))
    names = [c["name"] for c in by_name["containers"]]
    assert names == sorted(names, reverse=True)
    by_vmid = _ok(client.get("/api/containers", headers=admin.headers))
    assert [c["vmid"] for c in by_vmid["containers"]] == sorted(c["vmid"] for c in by_vmid["containers"])
    by_cpu = _ok(client.get("/api/containers", params={"status": "running", "sort": "cpu_usage", "order": "desc"},
                            headers=admin.headers))
    usage = [c["cpu_usage"] for c in by_cpu["containers"]]
    assert usage == sorted(usage, reverse=True) and up.name in {c["name"] for c in by_cpu["containers"]}

    for params in ({"sort": "memory"}, {"order": "up"}, {"status": "exploded"}):
        err = assert_error(client.get("/api/containers", params=params, headers=admin.headers), 400, "BAD_REQUEST")
        assert err["detail"][0]["loc"][0] == "query"

    # a container removed from the engine leaves the list at the next read
    down.remove(force=True)
    assert down.name not in {c["name"] for c in _live(client.get("/api/containers", headers=admin.headers))["containers"]}


def test_one_container_with_config_and_current(client, admin, podman, engine, tag):
    c = engine.containers.run(BUSYBOX.ref, ["sleep", "300"], detach=True, name=f"pcr-{tag}-one",
                              hostname=f"host-{tag}", mem_limit="64m", memswap_limit="96m",
                              nano_cpus=500_000_000, restart_policy={"Name": "always"}, labels=TEST_LABELS)
    try:
        listed = _mine(_live(client.get("/api/containers", headers=admin.headers)), c.name)[c.name]
        vmid = listed["vmid"]
        one = _live(client.get(f"/api/containers/{vmid}", headers=admin.headers))
        assert one["vmid"] == vmid and one["name"] == c.name and one["status"] == "running"
        assert one["template"] == "busybox-1-standard" == listed["template"]
        ip = _ip(engine, c)
        assert one["ip_address"] == ip and abs(one["created_at"] - time.time()) < 600
        config = one["config"]
        assert config["cores"] == 0.5 and config["memory"] == 64 and config["swap"] == 32
        assert config["onboot"] is True and config["features"] == "nesting=0"
        assert config["hostname"] == f"host-{tag}" and config["rootfs"].startswith("overlay:vm-")
        assert config["net0"].startswith("name=eth0,bridge=") and config["net0"].endswith(f",ip={ip}")
        current = one["current"]
        assert current["status"] == "running" and current["memory_total"] == 64 * MB
        assert 0 < current["memory_usage"] <= 64 * MB and current["cpu_usage"] >= 0
        assert current["disk_total"] > 0 and current["disk_usage"] is not None and current["uptime"] >= 0
        assert set(current["network"]) == {"in", "out"} and current["pid"] and current["sampled_at"]

        c.stop(timeout=0)
        stopped = _live(client.get(f"/api/containers/{vmid}", headers=admin.headers))
        assert stopped["status"] == stopped["current"]["status"] == "stopped"
        assert stopped["current"]["memory_usage"] == 0 and stopped["current"]["uptime"] == 0
        c.remove(force=True)
        gone = _live(client.get(f"/api/containers/{vmid}", headers=admin.headers))
        assert gone["status"] == "terminated"
    finally:
        c.remove(force=True) if c.id in {x.id for x in engine.containers.list(all=True)} else None


def test_generate_name_is_unused(client, admin, podman, make_container, engine):
    first = _live(client.get("/api/containers/generate-name", headers=admin.headers))
    assert first["name"] == f"proxicloud-{first['counter']:03d}"
    assert first["name"] not in {c.name for c in engine.containers.list(all=True)}
    make_container(name=first["name"])  # now it is taken
    second = _ok(client.get("/api/containers/generate-name", headers=admin.headers))
    assert second["counter"] > first["counter"] and second["name"] != first["name"]
    assert second["name"] not in {c.name for c in engine.containers.list(all=True)}


def test_search_by_name_hostname_and_ip(client, admin, podman, make_container, engine, tag):
    web = make_container(name=f"web-{tag}", hostname=f"box-{tag}")
    other = make_container(name=f"db-{tag}")
    ip = _ip(engine, web)

    def hits(q: str) -> set[str]:
        body = _live(client.get("/api/containers/search", params={"q": q}, headers=admin.headers))
        assert body["query"] == q and body["total"] == len(body["results"])
        return {r["name"] for r in body["results"]}

    assert hits(f"WEB-{tag}") == {web.name}
    assert hits(tag) == {web.name, other.name}
    assert hits(f"box-{tag}") == {web.name}
    assert hits(ip) == {web.name}
    assert hits(f"nothing-{tag}") == set()
    hit = _ok(client.get("/api/containers/search", params={"q": web.name}, headers=admin.headers))["results"][0]
    assert hit["ip_address"] == ip and hit["status"] == "running" and hit["vmid"] >= 100
    assert_error(client.get("/api/containers/search", headers=admin.headers), 400, "BAD_REQUEST")
    assert_error(client.get("/api/containers/search", params={"q": ""}, headers=admin.headers), 400, "BAD_REQUEST")


def test_node_info_and_dashboard_summary(client, admin, podman, make_container, engine, tag):
    c = make_container(name=f"pcr-{tag}-dash")
    info = _live(client.get("/api/info", headers=admin.headers))
    host = engine.info()
    assert info["node_name"] == host["Name"] and info["version"] == engine.version()["Version"]
    assert info["cpu_cores"] == host["NCPU"] and info["total_memory"] == host["MemTotal"]
    assert info["uptime"] > 0 and info["proxicloud_version"]

    vmid = _mine(_ok(client.get("/api/containers", headers=admin.headers)), c.name)[c.name]["vmid"]
    r = client.post(f"/api/containers/{vmid}/stop", params={"force": "true"}, headers=admin.headers)
    assert r.status_code == 200 and wait_task(admin, r.json()["task_id"])["status"] == "succeeded"

    s = _live(client.get("/api/dashboard/summary", headers=admin.headers))
    counts = s["containers"]
    assert counts["total"] >= 1 and counts["stopped"] >= 1
    assert counts["total"] >= counts["running"] + counts["stopped"] + counts["paused"]
    cpu, mem, disk = s["resources"]["cpu"], s["resources"]["memory"], s["resources"]["storage"]
    assert cpu["total"] == host["NCPU"] and cpu["used"] >= 0
    assert mem["total"] == host["MemTotal"] and 0 <= mem["used"] <= mem["total"] and mem["percent"] >= 0
    assert 0 < disk["used"] <= disk["total"] and 0 < disk["percent"] <= 100
    node = s["node"]
    assert node["name"] == host["Name"] and node["cpu_cores"] == host["NCPU"] and len(node["load_average"]) == 3
    mine = {a["action"] for a in s["recent_activity"] if a["vmid"] == vmid and a["name"] == c.name}
    assert {"create", "stop"} <= mine
    stamps = [a["timestamp"] for a in s["recent_activity"]]
    assert stamps == sorted(stamps, reverse=True)


def test_reads_answer_offline_from_the_inventory(client, admin, podman, make_container, tag, tmp_path):
    c = make_container(name=f"pcr-{tag}-off", hostname=f"off-{tag}", mem_limit="64m")
    live = _mine(_live(client.get("/api/containers", headers=admin.headers)), c.name)[c.name]
    info = _live(client.get("/api/info", headers=admin.headers))

    r = client.put(f"/api/providers/{podman}", json={"config": {"docker_host": f"unix://{tmp_path}/gone.sock"}},
                   headers=admin.headers)
    assert r.status_code == 200, r.text

    listed = _mine(_offline(client.get("/api/containers", headers=admin.headers)), c.name)[c.name]
    assert listed["vmid"] == live["vmid"] and listed["status"] == "running" and listed["memory"] == 64
    assert listed["ip_address"] == live["ip_address"] and listed["memory_usage"] > 0  # the last sample
    one = _offline(client.get(f"/api/containers/{live['vmid']}", headers=admin.headers))
    assert one["name"] == c.name and one["config"]["hostname"] == f"off-{tag}"
    found = _offline(client.get("/api/containers/search", params={"q": f"off-{tag}"}, headers=admin.headers))
    assert [x["vmid"] for x in found["results"]] == [live["vmid"]]
    assert _offline(client.get("/api/containers/generate-name", headers=admin.headers))["counter"] >= 1
    assert _offline(client.get("/api/info", headers=admin.headers)) == info  # the last known figures
    s = _offline(client.get("/api/dashboard/summary", headers=admin.headers))
    assert s["containers"]["total"] >= 1 and s["node"]["name"] == info["node_name"]
    # the status read of the action face still says the engine is unreachable
    assert_error(client.get(f"/api/containers/{live['vmid']}/status", headers=admin.headers), 503,
                 "SERVICE_UNAVAILABLE")


def test_concurrent_first_reads_of_a_new_container(client, admin, podman, make_container, tag):
    """Reads write what they see: several at once, all meeting a container the inventory does
    not know yet, all answer and agree on one record. (The insert race itself is timing-bound
    and does not reliably happen here; `_store` retries an upsert that meets a duplicate.)"""
    c = make_container(name=f"pcr-{tag}-race")

    def read(_):
        return client.get("/api/containers", params={"sort": "name"}, headers=admin.headers)

    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(read, range(4)))
    vmids = {_mine(_ok(r), c.name)[c.name]["vmid"] for r in answers}
    assert len(vmids) == 1


def test_a_read_that_meets_a_concurrent_insert_keeps_one_record(client, admin, podman, make_container, tag):
    """The insert race made to happen: right after a read has looked up which containers the
    inventory knows, another writer (another connection, committed) inserts the new container
    first. The read's own insert then meets the unique key; it retries as an update, so the
    answer is 200 and the container has one record, the other writer's."""
    from sqlalchemy import event, select
    from sqlalchemy.orm import Session

    from cloudfold.db.models import Account, Resource
    from cloudfold.domain.inventory import VMID_OFFSET

    c = make_container(name=f"pcr-{tag}-raced")
    runtime = client.app.state.runtime
    with runtime.sessions() as s:
        account_id = s.scalar(select(Account.id).where(Account.slug == podman))
    inserted: list[int] = []

    def other_writer(conn, cursor, statement, parameters, context, executemany):
        if inserted or "FROM resources" not in statement or "external_id IN" not in statement:
            return
        with Session(runtime.engine) as other:
            row = Resource(account_id=account_id, provider="local", kind="container", external_id=c.id,
                           name=c.name, status="running", meta={}, tags={})
            other.add(row)
            other.commit()
            inserted.append(row.id)

    event.listen(runtime.engine, "after_cursor_execute", other_writer)
    try:
        body = _ok(client.get("/api/containers", headers=admin.headers))
    finally:
        event.remove(runtime.engine, "after_cursor_execute", other_writer)
    assert inserted, "the other writer never ran"
    with runtime.sessions() as s:
        rows = s.scalars(select(Resource).where(Resource.external_id == c.id)).all()
    assert [r.id for r in rows] == inserted
    assert _mine(body, c.name)[c.name]["vmid"] == inserted[0] + VMID_OFFSET


def test_bad_inputs_credentials_and_visibility(client, admin, member, make_account, podman, make_container, tag):
    c = make_container(name=f"pcr-{tag}-priv")
    vmid = _mine(_ok(client.get("/api/containers", headers=admin.headers)), c.name)[c.name]["vmid"]
    assert_error(client.get("/api/containers/999999", headers=admin.headers), 404, "NOT_FOUND")
    assert_error(client.get("/api/containers/abc", headers=admin.headers), 400, "BAD_REQUEST")
    assert_error(client.get("/api/containers/5", headers=admin.headers), 400, "BAD_REQUEST")
    for path in ("/api/containers", f"/api/containers/{vmid}", "/api/containers/generate-name",
                 "/api/containers/search?q=x", "/api/info", "/api/dashboard/summary"):
        assert_error(client.get(path), 401, "UNAUTHORIZED")
    # reads need the read scope: a key without it is refused, a viewer (read only) may read
    no_scope = key_headers(create_key(client, admin.headers, scopes=[])["key"])
    for path in (f"/api/containers/{vmid}", "/api/containers", "/api/info"):
        assert "read" in assert_error(client.get(path, headers=no_scope), 403, "FORBIDDEN")["message"]
    viewer = make_account("viewer")
    seen = _ok(client.get("/api/containers", headers=viewer.headers))  # read scope suffices
    assert c.name not in {x["name"] for x in seen["containers"]}  # the admin's account is not the viewer's
    # the admin's account is not the member's: its containers are not the member's either
    assert_error(client.get(f"/api/containers/{vmid}", headers=member.headers), 404, "NOT_FOUND")
    mine = _ok(client.get("/api/containers", headers=member.headers))
    assert c.name not in {x["name"] for x in mine["containers"]}
    assert _ok(client.get("/api/containers/search", params={"q": c.name}, headers=member.headers))["total"] == 0


def test_paused_containers_filter_and_count(client, admin, podman, make_container, tag):
    c = make_container(name=f"pcr-{tag}-nap")
    c.pause()
    try:
        paused = _live(client.get("/api/containers", params={"status": "paused"}, headers=admin.headers))
        assert c.name in {x["name"] for x in paused["containers"]}
        assert {x["status"] for x in paused["containers"]} == {"paused"}
        summary = _ok(client.get("/api/dashboard/summary", headers=admin.headers))
        assert summary["containers"]["paused"] >= 1
    finally:
        c.unpause()
