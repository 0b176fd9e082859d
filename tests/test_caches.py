"""Seed 003's caches on the real Podman engine with real Redis servers (the cloudfold/redis:7 image
the product builds from Debian's redis-server): a 64 MB cache used with the redis client, its
INFO figures, password rotation, delete, bad input, another member, the quota, and Redis that
cannot start (no image, a container without Redis) leaving nothing behind."""

from __future__ import annotations

import io
import json
import tarfile
import uuid

import pytest

import slots
import redis
from sqlalchemy import select

from caches_support import REDIS, redis_image  # noqa: F401  (fixture)
from conftest import assert_error
from engine import IMAGE
from localcloud_support import POOL, LABELS, allow, labelled_local_account, vpc_with_subnet  # noqa: F401

from cloudfold.db.models import AuditEvent, CacheSecret, CloudObject, User
from cloudfold.images import binaries

pytestmark = pytest.mark.database  # quota claims lock rows: also run on PostgreSQL in CI

MINE = [f"{k}={v}" for k, v in LABELS.items()]
# a stretch of the members' default range of this session's own: other test sessions on this host
# publish from its start too, and engines sharing the host's firewall do not see each other's ports
PORTS_FROM = slots.pick(21000, 29800, 100)


@pytest.fixture
def client(make_client, engine_socket):
    return make_client(auto_register_local=True, docker_host=engine_socket, local_vpc_pool=POOL,
                       publish_port_range=f"{PORTS_FROM}-{PORTS_FROM + 99}")


@pytest.fixture(autouse=True)
def _image(redis_image):  # noqa: F811
    return redis_image


def containers(engine) -> list:
    return engine.containers.list(all=True, filters={"label": MINE})


def create(account, status: int = 201, **fields) -> dict:
    body = {"name": f"c-{uuid.uuid4().hex[:6]}", "memory_mb": 64, **fields}
    r = account.client.post("/caches", json=body, headers=account.headers)
    assert r.status_code == status, r.text
    return r.json()


def connect(cache: dict, password: str | None) -> redis.Redis:
    return redis.Redis(host=cache["endpoint"]["host"], port=cache["endpoint"]["port"], password=password,
                       socket_timeout=5, decode_responses=True)


def cache_rows(client) -> list[CloudObject]:
    with client.app.state.runtime.sessions() as session:
        return list(session.scalars(select(CloudObject).where(CloudObject.kind == "cache")))


def audit_text(client) -> str:
    with client.app.state.runtime.sessions() as session:
        return " ".join(f"{e.action} {e.target} {e.result} {e.detail}" for e in session.scalars(select(AuditEvent)))


def test_the_image_holds_debians_redis_and_its_libraries(tmp_path):
    tar_path = binaries.redis_rootfs(REDIS, tmp_path, lambda _m: None)
    with tarfile.open(tar_path) as tar:
        members = {m.name: m for m in tar.getmembers()}
    server = members["usr/bin/redis-server"]
    assert server.isfile() and server.size > 500_000 and server.mode & 0o111  # the program, not the link
    assert members["usr/bin/redis-cli"].isfile() and members["bin/busybox"].isfile()
    for library in binaries.shared_libraries("/usr/bin/redis-server"):
        assert members[library.lstrip("/")].isfile(), library
    assert members["etc/redis"].isdir()


def test_a_64_mb_cache_is_a_real_redis(client, member, engine):
    made = create(member, name="sessions")
    password, where = made["password"], made["endpoint"]
    assert made["status"] == "running" and made["memory_mb"] == 64 and made["persistence"] is False
    assert made["container_memory_mb"] == 96 and made["engine"] == "redis" and made["version"] == "7"
    assert where["host"] == "127.0.0.1" and 20000 <= where["port"] <= 29999
    assert len(password) >= 32

    r = connect(made, password)
    assert r.set("greeting", "hello") and r.get("greeting") == "hello"
    assert r.get("missing") is None
    assert r.config_get("maxmemory") == {"maxmemory": str(64 * 2**20)}
    assert r.config_get("appendonly") == {"appendonly": "no"} and r.config_get("save") == {"save": ""}
    assert r.config_get("maxmemory-policy") == {"maxmemory-policy": "allkeys-lru"}
    with pytest.raises(redis.AuthenticationError):
        connect(made, None).get("greeting")
    with pytest.raises(redis.AuthenticationError):
        connect(made, "wrong").get("greeting")

    # the container: labelled as the local cloud labels, the memory limit to match, no password in sight
    (c,) = containers(engine)
    labels, config = c.labels, c.attrs["Config"]
    assert labels["cloudfold.kind"] == "cache" and labels["cloudfold.id"] == made["id"]
    with client.app.state.runtime.sessions() as session:
        assert labels["cloudfold.owner"] == session.scalar(select(User.uuid).where(User.email == member.email))
    assert c.attrs["HostConfig"]["Memory"] == 96 * 2**20
    assert password not in str(config.get("Cmd")) + str(config.get("Env")) + str(c.attrs.get("Args"))

    # the answer shows the password once: not in the list, nor in GET, nor stored or audited in the clear
    listed = member.client.get("/caches", headers=member.headers).json()
    assert [x["id"] for x in listed] == [made["id"]] and "password" not in listed[0]
    one = member.client.get(f"/caches/{made['id']}", headers=member.headers)
    assert one.status_code == 200, one.text
    body = one.json()
    assert "password" not in body and password not in one.text
    stats = body["stats"]
    assert body["stats_error"] is None and stats["keys"] == 1 and stats["hits"] >= 1 and stats["misses"] >= 1
    assert stats["connected_clients"] >= 1 and stats["maxmemory"] == 64 * 2**20 and stats["used_memory"] > 0
    assert password not in audit_text(client)
    with client.app.state.runtime.sessions() as session:
        row = session.scalar(select(CloudObject).where(CloudObject.id == made["id"]))
        secret = session.get(CacheSecret, made["id"])
        assert password not in str(row.spec) and password not in secret.password_sealed
    assert "cache.create" in audit_text(client)

    # seed 002's inventory sees its container like any other
    inv = member.client.get(f"/inventory/{made['resource_id']}", headers=member.headers)
    assert inv.status_code == 200, inv.text

    r.close()
    gone = member.client.delete(f"/caches/{made['id']}", headers=member.headers)
    assert gone.status_code == 200 and gone.json()["success"] is True
    assert containers(engine) == [] and cache_rows(client) == []
    assert_error(member.client.get(f"/caches/{made['id']}", headers=member.headers), 404, "NOT_FOUND")
    assert member.client.get("/caches", headers=member.headers).json() == []
    assert "cache.delete" in audit_text(client)


def test_rotating_the_password_refuses_the_old_one(client, member):
    made = create(member, persistence=True, eviction_policy="noeviction")
    old = made["password"]
    connect(made, old).set("k", "v")
    r = member.client.post(f"/caches/{made['id']}/rotate-password", headers=member.headers)
    assert r.status_code == 200, r.text
    new = r.json()["password"]
    assert new != old and r.json()["id"] == made["id"]
    with pytest.raises(redis.AuthenticationError):
        connect(made, old).get("k")
    fresh = connect(made, new)
    assert fresh.get("k") == "v" and fresh.config_get("appendonly") == {"appendonly": "yes"}
    assert fresh.config_get("maxmemory-policy") == {"maxmemory-policy": "noeviction"}
    # the stored password follows: figures are still read
    body = member.client.get(f"/caches/{made['id']}", headers=member.headers).json()
    assert body["stats"]["keys"] == 1 and body["stats_error"] is None
    assert old not in audit_text(client) and new not in audit_text(client)
    assert "cache.rotate_password" in audit_text(client)


@pytest.mark.parametrize("body", [
    {"memory_mb": 64},  # no name
    {"name": "x"},  # no memory_mb
    {"name": "x", "memory_mb": 8},  # below the range
    {"name": "x", "memory_mb": 8193},  # above it
    {"name": "x", "memory_mb": "64"},  # a string
    {"name": "x", "memory_mb": 64.5},
    {"name": "x", "memory_mb": True},
    {"name": "x", "memory_mb": 64, "persistence": "yes"},
    {"name": "two words", "memory_mb": 64},
    {"name": "x", "memory_mb": 64, "eviction_policy": "sometimes"},
    {"name": "x", "memory_mb": 64, "version": "6"},
    {"name": "x", "memory_mb": 64, "password": "mine"},  # unknown field
])
def test_bad_input_is_400_and_makes_nothing(client, member, engine, body):
    assert_error(member.client.post("/caches", json=body, headers=member.headers), 400, "BAD_REQUEST")
    assert containers(engine) == [] and cache_rows(client) == []


def test_unknown_ids_and_vpcs(client, member, engine):
    h, nobody = member.headers, str(uuid.uuid4())
    assert_error(member.client.get(f"/caches/{nobody}", headers=h), 404, "NOT_FOUND")
    assert_error(member.client.delete(f"/caches/{nobody}", headers=h), 404, "NOT_FOUND")
    assert_error(member.client.post(f"/caches/{nobody}/rotate-password", headers=h), 404, "NOT_FOUND")
    assert_error(member.client.post("/caches", json={"name": "x", "memory_mb": 64, "vpc_id": nobody}, headers=h),
                 404, "NOT_FOUND")
    assert containers(engine) == [] and cache_rows(client) == []


def test_a_cache_in_a_vpc_keeps_its_subnet(client, member):
    vpc, subnet = vpc_with_subnet(member)
    made = create(member, vpc_id=vpc["id"])
    assert made["vpc_id"] == vpc["id"]
    assert connect(made, made["password"]).ping()
    assert_error(member.client.delete(f"/subnets/{subnet['id']}", headers=member.headers), 409, "CONFLICT")
    assert member.client.delete(f"/caches/{made['id']}", headers=member.headers).status_code == 200


def test_another_member_can_neither_see_nor_touch_it(client, member, make_account, engine):
    made = create(member)
    other = make_account("member")
    h = other.headers
    assert other.client.get("/caches", headers=h).json() == []
    for r in (other.client.get(f"/caches/{made['id']}", headers=h),
              other.client.delete(f"/caches/{made['id']}", headers=h),
              other.client.post(f"/caches/{made['id']}/rotate-password", headers=h)):
        body = assert_error(r, 404, "NOT_FOUND")
        assert made["name"] not in r.text and str(made["endpoint"]["port"]) not in r.text
        assert body["message"]
    viewer = make_account("viewer")
    assert_error(viewer.client.post("/caches", json={"name": "v", "memory_mb": 64}, headers=viewer.headers),
                 403, "FORBIDDEN")
    assert_error(member.client.get("/caches"), 401, "UNAUTHORIZED")
    # still there and still answering the owner's password
    assert len(containers(engine)) == 1 and connect(made, made["password"]).ping()


def test_the_caches_quota(client, member, admin, engine):
    allow(admin, member, caches=1)
    create(member)
    r = member.client.post("/caches", json={"name": "second", "memory_mb": 64}, headers=member.headers)
    body = assert_error(r, 403, "FORBIDDEN")
    assert body["detail"] == {"quota": "caches", "limit": 1, "used": 1, "requested": 1}
    assert len(containers(engine)) == 1 and len(cache_rows(client)) == 1
    used = {k: v["used"] for k, v in
            member.client.get("/api/quotas/me", headers=member.headers).json()["quotas"].items()}
    assert used["caches"] == 1 and used["host_ports"] == 1 and used["memory_mb"] == 96 and used["instances"] == 0
    allow(admin, member, caches=5, memory_mb=100)
    body = assert_error(member.client.post("/caches", json={"name": "big", "memory_mb": 64}, headers=member.headers),
                        403, "FORBIDDEN")
    assert body["detail"]["quota"] == "memory_mb"
    assert len(containers(engine)) == 1


def test_no_image_is_a_clear_error_and_leaves_nothing(client, member, engine, monkeypatch):
    monkeypatch.setattr(client.app.state.runtime.settings, "cache_image", f"cloudfold/redis:gone-{uuid.uuid4().hex[:6]}")
    body = assert_error(member.client.post("/caches", json={"name": "x", "memory_mb": 64}, headers=member.headers),
                        400, "BAD_REQUEST")
    assert "cloudfold images build" in body["message"]
    assert containers(engine) == [] and cache_rows(client) == []


def test_a_redis_that_does_not_start_leaves_nothing(client, member, engine, monkeypatch):
    monkeypatch.setattr(client.app.state.runtime.settings, "cache_image", IMAGE)  # busybox: no redis-server in it
    r = member.client.post("/caches", json={"name": "x", "memory_mb": 64}, headers=member.headers)
    body = assert_error(r, 502, "UPSTREAM_ERROR")
    assert "Redis could not be started" in body["message"] and "cloudfold images build" in body["message"]
    assert containers(engine) == [] and cache_rows(client) == []
    with client.app.state.runtime.sessions() as session:
        assert session.scalars(select(CacheSecret)).all() == []
    assert "cache.create" in audit_text(client) and "failed" in audit_text(client)


def test_events_reach_the_owner_and_no_other_member(client, member, make_account):
    from helpers_api import events_until

    alice, bob = member, make_account()
    with client.websocket_connect(f"/ws?token={bob.key}") as bob_ws, \
            client.websocket_connect(f"/ws?token={alice.key}") as alice_ws:
        made = create(alice)
        rid = str(made["resource_id"])
        assert alice.client.post(f"/caches/{made['id']}/rotate-password", headers=alice.headers).status_code == 200
        assert alice.client.delete(f"/caches/{made['id']}", headers=alice.headers).status_code == 200
        heard = [e for e in events_until(alice_ws, lambda e: e["resource_id"] == rid and e["action"] == "delete")
                 if e["resource_id"] == rid]
        assert heard[0]["action"] == "create" and any(e.get("change") == "password" for e in heard)
        assert all(made["password"] not in json.dumps(e) for e in heard)
        mine = alice.client.post("/api/resources", json={"name": "marker", "resource_type": "vm"}, headers=bob.headers)
        assert mine.status_code == 201, mine.text
        bobs = events_until(bob_ws, lambda e: e["resource_id"] == str(mine.json()["id"]))
        assert all(e["resource_id"] != rid and made["name"] not in json.dumps(e) for e in bobs)


def test_a_retried_create_answers_the_first_caches_password(client, member, engine):
    from test_idempotent_creates import cut_short

    headers = {**member.headers, "Idempotency-Key": "cache-once"}
    body = {"name": "retried", "memory_mb": 16}
    first = client.post("/caches", json=body, headers=headers)
    assert first.status_code == 201, first.text
    cut_short(client, "cache-once")  # as if its process died before the answer was stored
    retry = client.post("/caches", json=body, headers=headers)
    assert retry.status_code == 201 and retry.json()["id"] == first.json()["id"], retry.text
    assert retry.json()["password"] == first.json()["password"]  # the one that works, never answered before
    assert len(containers(engine)) == 1 and len(cache_rows(client)) == 1
    assert connect(retry.json(), retry.json()["password"]).ping()


def test_a_redis_that_exits_at_once_is_reported_with_its_output(client, member, engine, engine_socket, tmp_path,
                                                                  monkeypatch):
    """An image whose redis-server prints a fatal line and exits: the create waits no longer than the
    container lives, answers with what Redis printed, and leaves nothing behind."""
    from cloudfold.drivers import registry
    from cloudfold.drivers.local.driver import engine_spec
    from cloudfold.images import builder, rootfs
    from engine import BUSYBOX

    tar_path = rootfs.busybox_rootfs(BUSYBOX, tmp_path, lambda _m: None)
    script = b"#!/bin/sh\necho '# FATAL CONFIG FILE ERROR (pretend)' >&2\nexit 1\n"
    with tarfile.open(tar_path, "a") as tar:
        info = tarfile.TarInfo("usr/bin/redis-server")
        info.size, info.mode = len(script), 0o755
        tar.addfile(info, io.BytesIO(script))
    ref = f"localhost/cloudfold-exiting-redis:{uuid.uuid4().hex[:8]}"
    driver = registry.open_driver(engine_spec(engine_socket))
    try:
        driver.import_image(tar_path, ref, builder.config_changes(BUSYBOX))
    finally:
        driver.close()
    settings = client.app.state.runtime.settings
    monkeypatch.setattr(settings, "cache_image", ref)
    monkeypatch.setattr(settings, "cache_start_timeout_seconds", 5.0)
    try:
        r = member.client.post("/caches", json={"name": "x", "memory_mb": 64}, headers=member.headers)
        body = assert_error(r, 502, "UPSTREAM_ERROR")
        assert "Redis did not start" in body["message"] and "FATAL CONFIG FILE ERROR (pretend)" in body["message"]
        assert containers(engine) == [] and cache_rows(client) == []
    finally:
        engine.images.remove(ref, force=True)
