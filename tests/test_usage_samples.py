"""Usage samples are kept apart from the provider's own metadata: a sync, a read without
stats, or an action replaces the metadata and leaves the last sample (seed 004's figures)."""

from __future__ import annotations

import uuid

import pytest

from inventory_support import find, register, sync

pytestmark = pytest.mark.database  # a JSON column written apart from the upsert: PostgreSQL too


def _one(client, admin, vmid: int) -> dict:
    r = client.get(f"/api/containers/{vmid}", headers=admin.headers)
    assert r.status_code == 200, r.text
    return r.json()["data"]


def test_a_sample_survives_sync_refresh_and_action(client, admin, make_container, engine_socket, tmp_path):
    register(admin, "local", "podman", {"docker_host": engine_socket})
    c = make_container(name=f"usage-{uuid.uuid4().hex[:8]}", mem_limit="64m")
    listed = client.get("/api/containers", headers=admin.headers)
    assert listed.status_code == 200, listed.text
    vmid = next(x["vmid"] for x in listed.json()["containers"] if x["name"] == c.name)
    sampled = _one(client, admin, vmid)["current"]
    assert sampled["sampled_at"] and sampled["memory_usage"] > 0 and sampled["disk_total"]

    sync(admin, "podman")  # the provider's metadata, replaced
    r = client.get("/api/containers/search", params={"q": c.name}, headers=admin.headers)  # a read without stats
    assert r.status_code == 200 and r.json()["total"] == 1, r.text
    rid = find(admin, "podman", c.name)["id"]
    r = client.post(f"/api/resources/{rid}/action", json={"action": "reboot"}, headers=admin.headers)
    assert r.status_code == 200, r.text

    r = client.put("/api/providers/podman", json={"config": {"docker_host": f"unix://{tmp_path}/gone.sock"}},
                   headers=admin.headers)  # the engine unreachable: the read answers from the inventory
    assert r.status_code == 200, r.text
    kept = _one(client, admin, vmid)
    assert kept["status"] == "running"
    current = kept["current"]
    assert current["sampled_at"] == sampled["sampled_at"] and current["memory_usage"] > 0
    assert current["disk_total"] == sampled["disk_total"]
