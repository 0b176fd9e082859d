"""An engine that dies in the middle of a create, after it made the container and before it
started it: the create fails in the one error shape, the instance is kept with status
`error` (never lost), and once the engine answers again it is deleted with its container.
Through seed 003's POST /instances and seed 004's POST /api/containers (a task)."""

from __future__ import annotations

from conftest import assert_error
from dying_engine import DyingEngine
from engine import BUSYBOX, IMAGE
from inventory_support import wait_task
from localcloud_support import LABELS, client, labelled_local_account  # noqa: F401  (fixtures)

TEMPLATE = f"{BUSYBOX.name.rsplit('/', 1)[-1]}-{BUSYBOX.tag}-standard"
START = rb"POST /v[\d.]+/containers/[0-9a-f]+/start"


def _dying(client, admin, engine_socket, tmp_path) -> DyingEngine:
    dying = DyingEngine(engine_socket, tmp_path, die_on=START)
    r = client.put("/api/providers/local", json={"config": {"docker_host": dying.url, "labels": LABELS}},
                   headers=admin.headers)
    assert r.status_code == 200, r.text
    return dying


def _containers(engine, object_id: str) -> list:
    return engine.containers.list(all=True, filters={"label": f"cloudfold.id={object_id}"})


def test_an_instance_whose_engine_dies_mid_create_is_kept_as_error(client, member, admin, engine, engine_socket,
                                                                     tmp_path):
    dying = _dying(client, admin, engine_socket, tmp_path)
    h = member.headers
    try:
        r = client.post("/instances", json={"name": "half", "image": IMAGE, "command": ["sleep", "300"]}, headers=h)
        body = assert_error(r, 503, "SERVICE_UNAVAILABLE")
        assert dying.dead.is_set() and "kept with status 'error'" in body["message"]
        (inst,) = client.get("/instances", headers=h).json()
        assert (inst["name"], inst["status"]) == ("half", "error")
        assert body["message"].count(inst["id"]) == 1
        (left,) = _containers(engine, inst["id"])  # made, never started
        assert left.status == "created"
        # while the engine is down the record stays; a delete is refused, nothing changes
        assert_error(client.delete(f"/instances/{inst['id']}", headers=h), 503, "SERVICE_UNAVAILABLE")
        assert [i["id"] for i in client.get("/instances", headers=h).json()] == [inst["id"]]

        dying.revive()
        r = client.delete(f"/instances/{inst['id']}", headers=h)
        assert r.status_code == 200 and r.json()["status"] == "terminated", r.text
        assert not _containers(engine, inst["id"])
        assert client.get("/instances", headers=h).json() == []
        failed = client.get("/monitor/audit", params={"action": "instance.create"}, headers=admin.headers).json()
        assert failed["total"] == 1
    finally:
        dying.close()


def test_a_seed_004_create_whose_engine_dies_fails_its_task_and_keeps_the_vmid(client, admin, engine, engine_socket,
                                                                                tmp_path):
    dying = _dying(client, admin, engine_socket, tmp_path)
    h = admin.headers
    try:
        r = client.post("/api/containers", json={"hostname": "half-004", "template": TEMPLATE, "cores": 1,
                                                 "memory": 64, "swap": 32, "start": True}, headers=h)
        assert r.status_code == 201, r.text
        created = r.json()
        task = wait_task(admin, created["task_id"])
        assert task["status"] == "failed" and "kept with status 'error'" in task["error"], task
        assert any("the record is kept" in line["message"] for line in task["logs"])
        dying.revive()
        row = client.get(f"/api/containers/{created['vmid']}/status", headers=h).json()
        assert row["vmid"] == created["vmid"] and row["status"] == "stopped"  # its container, found again
        r = client.delete(f"/api/containers/{created['vmid']}", headers=h)
        assert r.status_code == 200, r.text
        assert wait_task(admin, r.json()["task_id"])["status"] == "succeeded"
        assert not engine.containers.list(all=True, filters={"label": [f"{k}={v}" for k, v in LABELS.items()]})
    finally:
        dying.close()
