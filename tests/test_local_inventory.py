"""The local engine account against a real Podman: registration, sync, every face of the
inventory, vanishing records, and an unreachable engine."""

from __future__ import annotations

from conftest import assert_error
from engine import TEST_LABELS
from inventory_support import find, register, sync
import pytest

pytestmark = pytest.mark.database  # also run on PostgreSQL in CI


def test_sync_shows_containers_networks_and_volumes_in_every_face(client, admin, engine, make_container, engine_socket):
    c = make_container()
    engine.volumes.create(name=f"cfvol-{c.name}", labels=TEST_LABELS)
    register(admin, "local", "podman", {"docker_host": engine_socket}, region="local")
    task = sync(admin, "podman")
    assert task["result"]["seen"] >= 2 and any("page" in line["message"] for line in task["logs"])

    rec = find(admin, "podman", c.name)
    assert rec["status"] == "running" and rec["external_id"] == c.id and rec["provider_type"] == "local"
    assert rec["metadata"]["image"].endswith("cloudfold-busybox:test")
    assert find(admin, "podman", f"cfvol-{c.name}", kind="volume")["status"] == "available"

    vms = client.get("/inventory/vms", params={"provider": "local", "status": "running", "limit": 5},
                     headers=admin.headers)
    assert vms.status_code == 200 and vms.headers["X-Page-Size"] == "5" and vms.headers["X-Page-Number"] == "1"
    assert int(vms.headers["X-Total-Count"]) >= 1
    one = client.get(f"/inventory/{rec['id']}", headers=admin.headers).json()
    assert one["resource_id"] == c.id and one["resource_name"] == c.name and one["resource_type"] == "container"
    nets = client.get("/inventory/networks", headers=admin.headers).json()
    assert any(n["provider"] == "local" for n in nets)
    storage = client.get("/inventory/storage", headers=admin.headers).json()
    assert any(s["resource_name"] == f"cfvol-{c.name}" for s in storage)

    stats = client.get("/dashboard/stats", headers=admin.headers).json()
    assert stats["active_vms"] >= 1 and stats["total_resources"] >= 3
    assert {"provider": "local"}.items() <= next(p for p in stats["provider_breakdown"] if p["provider"] == "local").items()
    engine.volumes.get(f"cfvol-{c.name}").remove(force=True)


def test_a_vanished_container_is_marked_and_a_new_one_appears(admin, make_container, engine_socket):
    first = make_container()
    register(admin, "local", "podman", {"docker_host": engine_socket})
    sync(admin, "podman")
    rec = find(admin, "podman", first.name)
    first.remove(force=True)
    second = make_container()
    result = sync(admin, "podman")["result"]
    assert result["vanished"] >= 1 and result["created"] >= 1
    gone = admin.client.get(f"/api/resources/{rec['id']}", headers=admin.headers).json()
    assert gone["vanished"] is True and gone["status"] == "terminated"
    assert find(admin, "podman", second.name)["status"] == "running"


def test_unreachable_engine_fails_the_sync_keeps_the_inventory_and_backs_off(admin, make_container, engine_socket):
    c = make_container()
    register(admin, "local", "podman", {"docker_host": engine_socket})
    sync(admin, "podman")
    before = find(admin, "podman", c.name)
    r = admin.client.put("/api/providers/podman", json={"config": {"docker_host": "unix:///nonexistent/podman.sock"}},
                         headers=admin.headers)
    assert r.status_code == 200, r.text
    failed = sync(admin, "podman", expect="failed")
    assert "unreachable" in failed["error"]
    assert find(admin, "podman", c.name)["id"] == before["id"]  # nothing lost
    provider = admin.client.get("/api/providers/podman", headers=admin.headers).json()
    assert provider["sync_failures"] == 1 and provider["last_sync_status"] == "failed" and provider["next_sync_after"]
    health = admin.client.get("/api/providers/health/check", headers=admin.headers).json()
    mine = next(h for h in health if h["provider_id"] == "podman")
    assert mine["status"] == "unhealthy" and "backing off" in mine["error"]


def test_provider_health_reports_latency(admin, engine_socket, make_client, make_account):
    register(admin, "local", "podman", {"docker_host": engine_socket})
    register(admin, "gcp", "gcp-later", credentials={"project_id": "p", "service_account_json": '{"type": "service_account"}'})
    health = {h["provider_id"]: h for h in admin.client.get("/api/providers/health/check", headers=admin.headers).json()}
    assert health["podman"]["status"] == "healthy" and health["podman"]["latency_ms"] > 0
    assert health["gcp-later"]["status"] == "not_implemented" and "not implemented" in health["gcp-later"]["error"]


def test_slow_provider_is_degraded(engine_socket, make_client, make_account):
    strict = make_account("admin", make_client(health_degraded_ms=0.01))  # no engine answers in 10 µs
    register(strict, "local", "podman", {"docker_host": engine_socket})
    health = {h["provider_id"]: h for h in strict.client.get("/api/providers/health/check", headers=strict.headers).json()}
    assert health["podman"]["status"] == "degraded" and health["podman"]["error"] == "High latency detected"
    assert health["podman"]["latency_ms"] > 0.01


def test_delete_provider_with_tracked_resources_needs_force(admin, make_container, engine_socket):
    make_container()
    register(admin, "local", "podman", {"docker_host": engine_socket})
    sync(admin, "podman")
    assert_error(admin.client.delete("/api/providers/podman", headers=admin.headers), 409, "CONFLICT")
    assert admin.client.delete("/api/providers/podman?force=true", headers=admin.headers).status_code == 204
    assert admin.client.get("/api/resources", params={"resource_type": "container"},
                            headers=admin.headers).json() == []
