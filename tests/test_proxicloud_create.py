"""Seed 004's POST /api/containers on the real Podman engine: an answer at once with a vmid
and a task, the container made by the same instance core as /instances (visible in every
face), each seed field mapped onto the engine or refused in the one error shape, and the
`cloudfold tasks wait` command following the task."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

from conftest import assert_error
from engine import BUSYBOX
from helpers_api import create_key, key_headers
from inventory_support import wait_task
from localcloud_support import LABELS, client, labelled_local_account  # noqa: F401  (fixtures)
import pytest

pytestmark = pytest.mark.database  # also run on PostgreSQL in CI

TEMPLATE = f"{BUSYBOX.name.rsplit('/', 1)[-1]}-{BUSYBOX.tag}-standard"
SSH_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForTestsOnly0123456789abcdefghijk test@cloudfold"


def _host() -> str:
    return f"pcc-{uuid.uuid4().hex[:8]}"


def _create(client, admin, status: int = 201, **body) -> dict:
    r = client.post("/api/containers", json={"template": TEMPLATE, "cores": 1, "memory": 64, "swap": 32, **body},
                    headers=admin.headers)
    assert r.status_code == status, r.text
    return r.json()


def _engine_container(engine, name: str):
    (c,) = engine.containers.list(all=True, filters={"name": f"^{name}$"})
    return c


def test_create_started_container_is_one_record_in_every_face(client, admin, engine):
    host = _host()
    made = _create(client, admin, hostname=host, start=True, ssh_keys=[SSH_KEY],
                   network={"bridge": "vmbr0", "ip": "dhcp"}, rootfs="local-lvm:4")
    assert made == {"success": True, "vmid": made["vmid"], "name": host, "task_id": made["task_id"],
                    "status": "creating"}
    task = wait_task(admin, made["task_id"])
    assert task["status"] == "succeeded", task
    lines = [line["message"] for line in task["logs"]]
    assert any(f"creating container {host} (vmid {made['vmid']})" in line for line in lines), lines
    assert any("ssh key(s)" in line for line in lines) and any("started: running" in line for line in lines), lines

    c = _engine_container(engine, host)
    assert c.status == "running" and c.attrs["Config"]["Hostname"] == host
    assert c.labels["cloudfold.test"] == LABELS["cloudfold.test"]
    hc = c.attrs["HostConfig"]
    assert hc["Memory"] == 64 * 2**20 and hc["NanoCpus"] == 1_000_000_000
    assert hc["MemorySwap"] == 96 * 2**20 and hc["RestartPolicy"]["Name"] == "unless-stopped"
    assert c.exec_run(["cat", "/root/.ssh/authorized_keys"]).output.decode().strip() == SSH_KEY

    h = admin.headers
    one = client.get(f"/api/containers/{made['vmid']}", headers=h)
    assert one.status_code == 200, one.text
    assert one.json()["name"] == host and one.json()["status"] == "running"
    assert host in {x["name"] for x in client.get("/api/containers", headers=h).json()["containers"]}
    (inst,) = [i for i in client.get("/instances", headers=h).json() if i["name"] == host]
    assert inst["vmid"] == made["vmid"] and inst["cpu"] == 1 and inst["memory"] == 64
    got = client.get(f"/instances/{inst['id']}", headers=h).json()
    assert got["status"] == "running" and got["image"] == BUSYBOX.ref
    res = client.get(f"/api/resources/{inst['resource_id']}", headers=h).json()
    assert res["status"] == "running" and res["name"] == host
    # the audit line of the create, written when the record was reserved
    events = client.get("/monitor/audit", params={"action": "instance.create"}, headers=h).json()["events"]
    (line,) = [e for e in events if e["detail"]["name"] == host]
    assert line["result"] == "success" and line["detail"]["via"] == "POST /api/containers"
    assert line["detail"]["template"] == TEMPLATE and "ssh_keys" in line["detail"]
    # a second create under the same hostname is a conflict, answered at once
    assert "already exists" in assert_error(
        client.post("/api/containers", json={"template": TEMPLATE, "hostname": host, "cores": 1, "memory": 64},
                    headers=h), 409, "CONFLICT")["message"]


def test_create_without_start_leaves_it_stopped_and_names_it(client, admin, engine):
    made = _create(client, admin, onboot=False, features={"nesting": False})
    assert made["name"].startswith("proxicloud-")
    task = wait_task(admin, made["task_id"])
    assert task["status"] == "succeeded", task
    assert any("not started (start=false)" in line["message"] for line in task["logs"])
    c = _engine_container(engine, made["name"])
    assert c.status in ("created", "exited") and not c.attrs["HostConfig"]["RestartPolicy"].get("Name")
    one = client.get(f"/api/containers/{made['vmid']}", headers=admin.headers).json()
    assert one["status"] == "stopped"


def test_a_create_the_engine_refuses_fails_its_task_and_keeps_its_vmid(client, admin, make_container):
    # a container made outside cloudfold, not yet in the inventory, already has the name
    taken = make_container(name=_host())
    made = _create(client, admin, hostname=taken.name, start=True)
    task = wait_task(admin, made["task_id"])
    assert task["status"] == "failed" and "already" in task["error"], task
    assert any(line["message"].startswith("create failed") for line in task["logs"])
    # the vmid keeps naming the failed create (never another machine), status error
    r = client.get(f"/api/containers/{made['vmid']}", headers=admin.headers)
    assert r.status_code == 200 and r.json()["status"] == "error", r.text
    assert taken.name not in {i["name"] for i in client.get("/instances", headers=admin.headers).json()}
    events = client.get("/monitor/audit", params={"action": "instance.create", "result": "failed"},
                        headers=admin.headers).json()["events"]
    assert [e["detail"]["name"] for e in events] == [taken.name]


def test_refusals_answer_at_once_in_the_one_error_shape(client, admin, member, engine):
    h = admin.headers
    before = len(engine.containers.list(all=True, filters={"label": f"cloudfold.test={LABELS['cloudfold.test']}"}))

    def refused(status: int, code: str, **body) -> str:
        r = client.post("/api/containers", json={"template": TEMPLATE, "hostname": _host(), "cores": 1,
                                                 "memory": 64, **body}, headers=h)
        return assert_error(r, status, code)["message"]

    assert refused(400, "BAD_REQUEST", template="invalid-template") == "Template 'invalid-template' not found"
    assert "memory" in refused(400, "BAD_REQUEST", memory=2)
    assert "memory" in refused(400, "BAD_REQUEST", memory=10**7)
    assert "swap" in refused(400, "BAD_REQUEST", swap=-1)
    assert "cores" in refused(400, "BAD_REQUEST", cores=0)
    for bad in ("-web", "web_1", "a" * 64, "web.example", ""):
        assert "hostname" in refused(400, "BAD_REQUEST", hostname=bad), bad
    assert "password" in refused(400, "BAD_REQUEST", password="secure-password")
    assert "nesting" in refused(400, "BAD_REQUEST", features={"nesting": True})
    assert "unprivileged" in refused(400, "BAD_REQUEST", unprivileged=False)
    assert "Bridge 'vmbr9'" in refused(400, "BAD_REQUEST", network={"bridge": "vmbr9"})
    assert "static" in refused(400, "BAD_REQUEST", network="name=eth0,bridge=vmbr0,ip=10.0.0.5/24")
    assert "Storage" in refused(400, "BAD_REQUEST", storage="ceph")
    assert "ssh_keys" in refused(400, "BAD_REQUEST", ssh_keys=["not a key"])
    r = client.post("/api/containers", json={"hostname": _host()}, headers=h)
    assert_error(r, 400, "BAD_REQUEST")  # the template is required
    assert_error(client.post("/api/containers", json={"template": TEMPLATE, "memory": "lots"}, headers=h),
                 400, "BAD_REQUEST")
    # credentials: none → 401; a read-only key and a member (no admin scope) → 403
    assert_error(client.post("/api/containers", json={"template": TEMPLATE}), 401, "UNAUTHORIZED")
    read_only = key_headers(create_key(client, h, scopes=["read"])["key"])
    assert_error(client.post("/api/containers", json={"template": TEMPLATE}, headers=read_only), 403, "FORBIDDEN")
    assert_error(client.post("/api/containers", json={"template": TEMPLATE}, headers=member.headers),
                 403, "FORBIDDEN")
    after = len(engine.containers.list(all=True, filters={"label": f"cloudfold.test={LABELS['cloudfold.test']}"}))
    assert after == before  # nothing was made


def test_cli_tasks_wait_follows_the_create(client, admin, engine):
    made = _create(client, admin, hostname=_host(), start=True)
    settings = client.app.state.runtime.settings
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLOUDFOLD_")}
    env.update(CLOUDFOLD_DATA_DIR=str(settings.data_dir), CLOUDFOLD_DATABASE_URL=settings.sqlalchemy_url,
               PYTHONPATH=os.pathsep.join([str(Path(__file__).parents[1] / "src"), env.get("PYTHONPATH", "")]))
    out = subprocess.run([sys.executable, "-m", "cloudfold", "tasks", "wait", made["task_id"], "--timeout", "60"],
                         env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr + out.stdout
    assert "succeeded" in out.stdout and f"vmid {made['vmid']}" in out.stdout
    missing = subprocess.run([sys.executable, "-m", "cloudfold", "tasks", "wait", str(uuid.uuid4())],
                             env=env, capture_output=True, text=True, timeout=60)
    assert missing.returncode == 1 and "not found" in missing.stderr.lower()
