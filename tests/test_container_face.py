"""Seed 004's container actions: numeric vmids from 100, answers at once with a task id,
and the same action path (history, audit, /ws event) as /vms and /api/resources."""

from __future__ import annotations

import json

import boto3

from conftest import assert_error
from inventory_support import find, register, sync, wait_task
from moto_server import moto, moto_url  # noqa: F401  (fixtures)


def _act(client, admin, vmid: int, verb: str, method: str = "post", **params) -> dict:
    path = f"/api/containers/{vmid}" + ("" if verb == "delete" else f"/{verb}")
    r = getattr(client, method)(path, params=params, headers=admin.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["success"] is True and body["vmid"] == vmid and body["task_id"]
    task = wait_task(admin, body["task_id"])
    assert task["status"] == "succeeded", task
    return body


def test_container_lifecycle_through_the_proxicloud_face(client, admin, make_container, engine, engine_socket):
    c = make_container()
    register(admin, "local", "podman", {"docker_host": engine_socket})
    sync(admin, "podman")
    rec = find(admin, "podman", c.name)
    vmid = rec["vmid"]
    assert vmid >= 100
    with client.websocket_connect(f"/ws?token={admin.key}") as ws:
        assert _act(client, admin, vmid, "stop", timeout=5)["status"] == "stopping"
        event = json.loads(ws.receive_text())
        assert event["action"] == "stop" and event["resource_id"] == str(rec["id"])
    c.reload()
    assert c.status == "exited"
    assert client.get(f"/api/containers/{vmid}/status", headers=admin.headers).json() == {
        "vmid": vmid, "status": "stopped", "uptime": 0, "pid": None}
    assert_error(client.post(f"/api/containers/{vmid}/stop", headers=admin.headers), 409, "CONFLICT")

    assert _act(client, admin, vmid, "start")["status"] == "starting"
    status = client.get(f"/api/containers/{vmid}/status", headers=admin.headers).json()
    assert status["status"] == "running" and status["pid"] and status["uptime"] >= 0
    assert _act(client, admin, vmid, "reboot")["status"] == "rebooting"
    assert _act(client, admin, vmid, "stop", force="true")["status"] == "stopping"
    c.reload()
    assert c.status == "exited"
    logs = client.get(f"/api/resources/{rec['id']}/logs", headers=admin.headers).json()
    assert [x["action"] for x in logs[:5]] == ["stop", "reboot", "start", "stop", "stop"]
    assert logs[0]["via"] == "POST /api/containers/{vmid}/stop"

    assert client.get(f"/api/containers/{vmid}", headers=admin.headers).status_code == 200
    assert _act(client, admin, vmid, "delete", method="delete")["status"] == "deleted"
    assert c.id not in {x.id for x in engine.containers.list(all=True)}
    # once the delete task has finished, the container is gone from every seed 004 read
    assert_error(client.get(f"/api/containers/{vmid}", headers=admin.headers), 404, "NOT_FOUND")
    listed = client.get("/api/containers", headers=admin.headers).json()["data"]["containers"]
    assert vmid not in [x["vmid"] for x in listed]


def test_an_ec2_instance_through_all_three_faces(client, admin, moto):
    ec2 = boto3.client("ec2", endpoint_url=moto, region_name="us-east-1", aws_access_key_id="x",
                       aws_secret_access_key="y")
    ami = ec2.describe_images()["Images"][0]["ImageId"]
    iid = ec2.run_instances(ImageId=ami, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    register(admin, "aws", "aws-3", {"endpoint_url": moto, "regions": ["us-east-1"]},
             {"access_key": "x", "secret_key": "y"}, region="us-east-1")
    sync(admin, "aws-3")
    rec = client.get("/api/resources", params={"provider_id": "aws-3", "resource_type": "vm"},
                     headers=admin.headers).json()[0]
    state = lambda: ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["State"]["Name"]  # noqa: E731
    assert client.post(f"/vms/{iid}/stop", headers=admin.headers).status_code == 200 and state() == "stopped"
    assert client.post(f"/api/resources/{rec['id']}/action", json={"action": "start"},
                       headers=admin.headers).json()["status"] == "running"
    _act(client, admin, rec["vmid"], "stop")
    assert state() == "stopped"
    _act(client, admin, rec["vmid"], "start")
    assert state() == "running"
    vias = {x["via"] for x in client.get(f"/api/resources/{rec['id']}/logs", headers=admin.headers).json()}
    assert vias == {"POST /vms/{vmId}/stop", "POST /api/resources/{id}/action", "POST /api/containers/{vmid}/stop",
                    "POST /api/containers/{vmid}/start"}


def test_container_face_bad_input(client, admin, member):
    assert_error(client.post("/api/containers/99/start", headers=admin.headers), 400, "BAD_REQUEST")
    assert_error(client.post("/api/containers/abc/start", headers=admin.headers), 400, "BAD_REQUEST")
    assert_error(client.post("/api/containers/123456/start", headers=admin.headers), 404, "NOT_FOUND")
    assert_error(client.post("/api/containers/100/stop", params={"timeout": -1}, headers=admin.headers), 400, "BAD_REQUEST")
    assert_error(client.post("/api/containers/100/start", headers=member.headers), 403, "FORBIDDEN")
    assert_error(client.get("/api/containers/100/status"), 401, "UNAUTHORIZED")
