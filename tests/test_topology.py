"""Seed 000 topology, computed from the inventory of a real Podman engine: hosts, services
by host and by type, containers, databases, networks and summaries, and who sees what."""

from __future__ import annotations

import time
import uuid

import pytest

from conftest import assert_error
from engine import TEST_LABELS
from inventory_support import register, sync

from cloudfold.domain.services import database_engine

pytestmark = pytest.mark.database  # also run on PostgreSQL in CI

PATHS = ("", "/vms", "/services-by-vm", "/service-types", "/containers", "/databases", "/networks", "/summaries")


@pytest.fixture
def estate(admin, engine, make_container, engine_socket):
    """A compose project (app on its own network + a labelled database with a volume), a service
    of type A121 from cloudfold's label, and a loose container."""
    tag = uuid.uuid4().hex[:8]
    net = engine.networks.create(f"cf-net-{tag}", driver="bridge", labels=dict(TEST_LABELS))
    vol = engine.volumes.create(f"cf-vol-{tag}", labels=dict(TEST_LABELS))
    try:
        project = f"blog{tag}"
        app = make_container(labels={"com.docker.compose.project": project, "com.docker.compose.service": "app"},
                             network=net.name)
        db = make_container(labels={"com.docker.compose.project": project, "com.docker.compose.service": "db",
                                    "cloudfold.role": "database", "cloudfold.database": "postgres"},
                            volumes={vol.name: {"bind": "/var/lib/data", "mode": "rw"}}, network=net.name)
        typed = make_container(labels={"cloudfold.service": f"mail{tag}", "cloudfold.service-type": "A121"})
        loose = make_container()
        register(admin, "local", "podman", {"docker_host": engine_socket})
        sync(admin, "podman")
        yield {"project": project, "net": net, "vol": vol, "app": app, "db": db, "typed": typed, "loose": loose,
               "tag": tag}
    finally:
        for c in engine.containers.list(all=True, filters={"label": f"cloudfold.test={TEST_LABELS['cloudfold.test']}"}):
            if c.attrs["NetworkSettings"]["Networks"].get(net.name) or any(
                    m.get("Name") == vol.name for m in c.attrs.get("Mounts") or []):
                c.remove(force=True)
        net.remove()
        vol.remove(force=True)


def _host(body: dict, vm_id: str = "podman") -> dict:
    return next(v for v in body["vms"] if v["vmId"] == vm_id)


def test_hosts_services_and_containers(client, admin, estate):
    h = admin.headers
    vms = client.get("/topology/vms", headers=h).json()
    host = _host(vms)
    assert host["kind"] == "engine" and host["provider"] == "local" and host["providerId"] == "podman"
    assert host["containers"] >= 4 and host["containersRunning"] >= 4 and host["services"] >= 2
    assert host["databases"] >= 1 and vms["total"] == len(vms["vms"])

    by_vm = _host(client.get("/topology/services-by-vm", headers=h).json())
    services = {s["name"]: s for s in by_vm["services"]}
    blog = services[estate["project"]]
    assert blog == {**blog, "id": f"podman:{estate['project']}", "source": "compose", "status": "healthy",
                    "running": 2, "total": 2, "vmId": "podman", "type": "worker"}
    assert services[f"mail{estate['tag']}"]["source"] == "label"

    types = {t["type"]: t for t in client.get("/topology/service-types", headers=h).json()["types"]}
    assert f"mail{estate['tag']}" in [s["name"] for s in types["A121"]["services"]]
    assert estate["project"] in [s["name"] for s in types["worker"]["services"]]

    containers = {c["name"]: c for c in _host(client.get("/topology/containers", headers=h).json())["containers"]}
    app = containers[estate["app"].name]
    assert app["service"] == f"podman:{estate['project']}" and app["component"] == "app"
    assert estate["net"].name in app["networks"] and app["ipAddresses"][estate["net"].name]
    assert containers[estate["loose"].name]["service"] is None
    mounts = containers[estate["db"].name]["mounts"]
    assert {"type": "volume", "name": estate["vol"].name, "destination": "/var/lib/data", "rw": True}.items() <= \
        next(m for m in mounts if m["name"] == estate["vol"].name).items()

    # a stopped container shows in the next sync's topology
    estate["app"].stop(timeout=1)
    sync(admin, "podman")
    blog = next(s for s in _host(client.get("/topology/services-by-vm", headers=h).json())["services"]
                if s["name"] == estate["project"])
    assert (blog["status"], blog["running"]) == ("degraded", 1)


def test_databases_networks_and_summaries(client, admin, estate):
    h = admin.headers
    dbs = client.get("/topology/databases", headers=h).json()
    names = {d["name"]: d for d in _host(dbs)["databases"]}
    assert estate["db"].name in names and estate["app"].name not in names
    assert names[estate["db"].name]["database"] == "postgres" and dbs["total"] >= 1

    nets = client.get("/topology/networks", headers=h).json()
    net = next(n for n in nets["networks"] if n["name"] == estate["net"].name)
    assert net["networkId"] == estate["net"].id and net["vmId"] == "podman" and net["driver"] == "bridge"
    assert net["subnet"] and net["gateway"] and net["internal"] is False
    assert sorted(net["containers"]) == sorted([estate["app"].name, estate["db"].name])

    s = client.get("/topology/summaries", headers=h).json()
    assert s["containers"]["total"] == s["containers"]["running"] + s["containers"]["stopped"] >= 4
    assert s["containers"]["images"] >= 1 and s["containers"]["byVm"][0]["vmId"] == "podman"
    assert s["services"]["total"] >= 2 and s["services"]["healthy"] >= 2
    assert s["databases"]["byEngine"]["postgres"] >= 1 and s["networks"]["total"] >= 1
    assert s["storage"]["volumes"] >= 1 and s["storage"]["volumesInUse"] >= 1

    full = client.get("/topology", headers=h).json()
    assert set(full) == {"vms", "services", "containers", "databases", "networks", "summaries", "generatedAt"}
    assert estate["db"].name in {d["name"] for d in full["databases"]}
    assert full["summaries"]["containers"]["total"] == len(full["containers"])


def test_visibility_and_credentials(client, admin, member, estate):
    for path in PATHS:
        assert_error(client.get(f"/topology{path}"), 401, "UNAUTHORIZED")
        assert client.get(f"/topology{path}", headers=member.headers).status_code == 200
    # the member sees none of the admin's account
    assert client.get("/topology/vms", headers=member.headers).json() == {"vms": [], "total": 0}
    body = client.get("/topology", headers=member.headers).json()
    assert body["containers"] == [] and body["networks"] == [] and body["summaries"]["containers"]["total"] == 0


@pytest.mark.parametrize("image, engine_name", [
    ("postgres:16-alpine", "postgres"), ("docker.io/library/mysql:8", "mysql"), ("mariadb", "mariadb"),
    ("redis:7", "redis"), ("mongo:7", "mongodb"), ("bitnami/postgresql:15", "postgres"),
    ("mcr.microsoft.com/mssql/server:2022-latest", "sqlserver"), ("localhost:5000/valkey/valkey:8", "valkey"),
    ("mongo-express", None), ("prometheuscommunity/postgres-exporter", None), ("redis/redisinsight", None),
    ("nginx:1.27", None), ("localhost/cloudfold-busybox:test", None), (None, None),
])
def test_databases_are_recognised_by_image_name(image, engine_name):
    assert database_engine(image, {}) == engine_name


def test_the_database_label_wins():
    assert database_engine("busybox", {"cloudfold.role": "database"}) == "unknown"
    assert database_engine("redis:7", {"cloudfold.role": "database"}) == "redis"
    assert database_engine("busybox", {"cloudfold.role": "database", "cloudfold.database": "sqlite"}) == "sqlite"


def test_proxmox_nodes_and_vms_are_hosts(client, admin, tmp_path):
    """Another provider: guests of a Proxmox stand-in (tests/pve_standin.py, shaped after the
    documented PVE API): LXC containers under their node, qemu guests as vm hosts."""
    from pve_standin import PveStandin, demo_state, make_tls_files

    ca, cert, key = make_tls_files(tmp_path)
    token = {"user": "root@pam", "token_name": "cloudfold", "token_value": "0b6a4a56-5b8d-4a3e-9f7e-1d2c3b4a5f60"}
    with PveStandin(demo_state(), cert, key) as pve:
        register(admin, "proxmox", "pve", {"host": pve.host, "verify_ssl": str(ca), "timeout": 5}, credentials=token)
        sync(admin, "pve")
    h = admin.headers
    vms = {v["vmId"]: v for v in client.get("/topology/vms", headers=h).json()["vms"]}
    assert vms["pve/pve1"]["kind"] == "node" and vms["pve/pve1"]["containers"] == 1
    assert vms["pve/pve2"]["containers"] == 2 and vms["pve/pve2"]["containersRunning"] == 1
    web1 = next(v for v in vms.values() if v["name"] == "web1")
    assert web1["kind"] == "vm" and web1["resourceId"] == int(web1["vmId"]) and web1["status"] == "running"
    assert web1["provider"] == "proxmox" and web1["providerId"] == "pve" and web1["containers"] == 0

    by_vm = {v["vmId"]: v for v in client.get("/topology/containers", headers=h).json()["vms"]}
    dns = by_vm["pve/pve1"]["containers"][0]
    assert dns["name"] == "ct-dns" and dns["running"] is True and dns["service"] is None
    assert dns["memoryMb"] is not None and dns["cpuPercent"] is not None
    # no labels on Proxmox guests: no services
    assert client.get("/topology/services-by-vm", headers=h).json() == {"vms": [], "total": 0}


def test_container_usage_reads_the_same_in_seed_000_and_seed_004(client, admin, make_container, engine_socket):
    """One reading of the stats sample a seed 004 read keeps: /topology/containers shows the
    memory and CPU that /api/containers shows for the same container."""
    c = make_container(command=("sh", "-c", "head -c 4000000 /dev/zero > /tmp/ballast; sleep 300"))
    register(admin, "local", "podman", {"docker_host": engine_socket})
    sync(admin, "podman")
    h = admin.headers
    listed = client.get("/api/containers", headers=h).json()["data"]["containers"]
    seen_004 = next(x for x in listed if x["name"] == c.name)
    assert seen_004["status"] == "running" and seen_004["memory_usage"] > 0
    node = next(x for v in client.get("/topology/containers", headers=h).json()["vms"] for x in v["containers"]
                if x["name"] == c.name)
    assert node["memoryMb"] == round(seen_004["memory_usage"] / 2**20, 2)
    # the same sample read the same way (seed 000 says null where no figure is known, seed
    # 004's numbers-only shape 0); it does not drift as the sample ages
    assert (node["cpuPercent"] or 0.0) == seen_004["cpu_usage"]
    time.sleep(1.1)
    later = next(x for v in client.get("/topology/containers", headers=h).json()["vms"] for x in v["containers"]
                 if x["name"] == c.name)
    assert later["cpuPercent"] == node["cpuPercent"]
