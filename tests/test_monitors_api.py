"""/api/monitors: create, read, change, delete, history, uptime — owned, audited, counted
toward the `monitors` quota and checked against the egress rule when saved. Bad input answers
with the one error shape and changes nothing."""

from __future__ import annotations

import pytest

from conftest import assert_error
from helpers_api import audit_page

pytestmark = pytest.mark.database  # quota claims lock the user's row: also run on PostgreSQL in CI

PUBLIC = "https://1.1.1.1/health"  # a global address (no DNS here), saved, never probed: the engine is off


@pytest.fixture
def api(make_client, make_account):
    client = make_client(monitor_engine=False, egress_allow=["127.0.0.0/8"], quota_defaults={"monitors": 3})
    return client, make_account("member", client_=client), make_account("member", client_=client), \
        make_account("admin", client_=client)


def _create(client, who, **body):
    return client.post("/api/monitors", json={"kind": "http", "target": PUBLIC, **body}, headers=who.headers)


def _count(client, who) -> int:
    return client.get("/api/monitors", headers=who.headers).json()["total"]


def test_crud_round_trip_is_audited(api):
    client, alice, _, admin = api
    r = _create(client, alice, name="shop", interval_seconds=120, config={"keyword": "ok"})
    assert r.status_code == 201, r.text
    m = r.json()
    assert m["kind"] == "http" and m["name"] == "shop" and m["state"] == "pending" and m["auto"] is False
    assert m["config"]["keyword"] == "ok" and m["config"]["accepted_statuses"] == "200-399"
    got = client.get(f"/api/monitors/{m['id']}", headers=alice.headers).json()
    assert got["uptime"]["24h"] == {"percent": None, "checks": 0, "avg_latency_ms": None}
    r = client.patch(f"/api/monitors/{m['id']}", json={"name": "shop front", "enabled": False, "retries": 3},
                     headers=alice.headers)
    assert r.status_code == 200 and r.json()["name"] == "shop front" and r.json()["enabled"] is False
    assert client.get(f"/api/monitors/{m['id']}/checks", headers=alice.headers).json() == {
        "monitor_id": m["id"], "checks": []}
    assert client.delete(f"/api/monitors/{m['id']}", headers=alice.headers).status_code == 204
    assert_error(client.get(f"/api/monitors/{m['id']}", headers=alice.headers), 404, "NOT_FOUND")
    actions = [e["action"] for e in audit_page(client, admin.headers, action="monitor.")["events"]] or [
        e["action"] for e in audit_page(client, admin.headers)["events"] if e["action"].startswith("monitor.")]
    assert {"monitor.create", "monitor.update", "monitor.delete"} <= set(actions)


@pytest.mark.parametrize("body, words", [
    ({"kind": "icmp"}, "kind must be one of"),
    ({"kind": "http", "target": "ftp://example.com/"}, "only http://"),
    ({"kind": "http", "target": "not a url"}, "target"),
    ({"kind": "http", "target": "https://user:pw@example.com/"}, "user info"),
    ({"kind": "http", "target": ""}, "target"),
    ({"kind": "tcp", "target": "example.com"}, "needs host:port"),
    ({"kind": "tcp", "target": "example.com:99999"}, "port"),
    ({"kind": "ping", "target": "example.com:80"}, "without a port"),
    ({"kind": "dns", "target": "not a name!"}, "name to look up"),
    ({"kind": "dns", "target": "example.com", "config": {"record_type": "BOGUS"}}, "record_type"),
    ({"config": {"unknown": 1}}, "unknown"),
    ({"config": {"verify_tls": "yes"}}, "verify_tls"),
    ({"config": {"accepted_statuses": "2xx"}}, "accepted_statuses"),
    ({"interval_seconds": 5}, "interval_seconds"),
    ({"interval_seconds": 10**6}, "interval_seconds"),
    ({"timeout_seconds": 0}, "timeout_seconds"),
    ({"interval_seconds": 30, "timeout_seconds": 45}, "exceed"),
    ({"retries": 11}, "retries"),
    ({"name": "x" * 201}, None),
    ({"name": "bad\nname"}, None),
])
def test_bad_input_changes_nothing(api, body, words):
    """cloudfold's own family: what the schema refuses (a field's type, length or characters) is
    FastAPI's 422; what the domain refuses (kinds, targets, ranges) is 400."""
    client, alice, _, _ = api
    r = _create(client, alice, **body)
    assert r.status_code == (422 if "name" in body else 400), r.text
    out = r.json()
    assert out["success"] is False and out["code"] == "BAD_REQUEST" and out["error"] == "BAD_REQUEST", out
    if words:
        assert words in out["message"], out
    assert _count(client, alice) == 0


def test_wrong_types_and_missing_fields(api):
    client, alice, _, _ = api
    for body in ({}, {"kind": "http"}, {"target": PUBLIC}, {"kind": "http", "target": PUBLIC, "interval_seconds": "x"},
                 {"kind": "http", "target": PUBLIC, "enabled": "maybe"}, {"kind": 5, "target": PUBLIC},
                 {"kind": "http", "target": PUBLIC, "config": [1, 2]}):
        r = client.post("/api/monitors", json=body, headers=alice.headers)
        assert r.status_code == 422 and r.json()["success"] is False, (body, r.text)
    assert _count(client, alice) == 0


def test_unknown_ids(api):
    client, alice, _, _ = api
    for ref in ("999999", "0", "-1", "abc", "99999999999999999999"):
        assert_error(client.get(f"/api/monitors/{ref}", headers=alice.headers), 404, "NOT_FOUND")
        assert_error(client.patch(f"/api/monitors/{ref}", json={"name": "x"}, headers=alice.headers), 404, "NOT_FOUND")
        assert_error(client.delete(f"/api/monitors/{ref}", headers=alice.headers), 404, "NOT_FOUND")
        assert_error(client.get(f"/api/monitors/{ref}/checks", headers=alice.headers), 404, "NOT_FOUND")


def test_bad_patch_changes_nothing(api):
    client, alice, _, _ = api
    m = _create(client, alice).json()
    for body in ({"target": "ftp://x/"}, {"interval_seconds": 1}, {"timeout_seconds": 100}, {"config": {"nope": 1}},
                 {"retries": -1}):
        r = client.patch(f"/api/monitors/{m['id']}", json=body, headers=alice.headers)
        assert r.status_code == 400, (body, r.text)
    after = client.get(f"/api/monitors/{m['id']}", headers=alice.headers).json()
    assert {k: after[k] for k in ("target", "interval_seconds", "timeout_seconds", "config", "retries")} == \
        {k: m[k] for k in ("target", "interval_seconds", "timeout_seconds", "config", "retries")}


def test_second_member_sees_and_changes_nothing(api):
    client, alice, bob, admin = api
    m = _create(client, alice, name="alice-secret-shop").json()
    for method, path, body in (("get", "", None), ("patch", "", {"name": "bob"}), ("delete", "", None),
                               ("get", "/checks", None), ("get", "/uptime", None)):
        r = getattr(client, method)(f"/api/monitors/{m['id']}{path}", headers=bob.headers,
                                    **({"json": body} if body else {}))
        body_out = assert_error(r, 404, "NOT_FOUND")
        assert "alice-secret-shop" not in r.text and body_out["message"] == "Monitor not found"
    listing = client.get("/api/monitors", headers=bob.headers).json()
    assert listing["total"] == 0 and "alice-secret-shop" not in str(listing)
    # the admin sees it; alice's copy is unchanged
    assert client.get(f"/api/monitors/{m['id']}", headers=admin.headers).json()["name"] == "alice-secret-shop"
    assert client.get("/api/monitors", headers=admin.headers).json()["total"] == 1


def test_scopes(api, make_account):
    client, alice, _, _ = api
    viewer = make_account("viewer", client_=client)
    assert_error(_create(client, viewer), 403, "FORBIDDEN")
    assert client.get("/api/monitors", headers=viewer.headers).status_code == 200
    assert_error(client.get("/api/monitors"), 401, "UNAUTHORIZED")
    m = _create(client, alice).json()
    assert_error(client.delete(f"/api/monitors/{m['id']}", headers=viewer.headers), 403, "FORBIDDEN")


def test_quota(api):
    client, alice, bob, admin = api
    for _ in range(3):
        assert _create(client, alice).status_code == 201
    body = assert_error(_create(client, alice), 403, "FORBIDDEN")
    assert body["detail"] == {"quota": "monitors", "limit": 3, "used": 3, "requested": 1}
    assert _count(client, alice) == 3
    assert _create(client, bob).status_code == 201  # per user
    for _ in range(4):
        assert _create(client, admin).status_code == 201  # admins are not limited
    mine = client.get("/api/quotas/me", headers=alice.headers).json()["quotas"]["monitors"]
    assert mine["used"] == 3 and mine["limit"] == 3


@pytest.mark.parametrize("kind, target, config", [
    ("http", "http://169.254.169.254/latest/meta-data/", None),
    ("http", "http://10.0.0.1/", None),
    ("http", "http://[::1]:8080/", None),
    ("tcp", "192.168.1.1:22", None),
    ("ping", "100.64.0.1", None),
    ("ssh", "localhost", None),
    ("dns", "example.com", {"server": "10.0.0.53"}),
])
def test_egress_refused_for_members(make_client, make_account, kind, target, config):
    client = make_client(monitor_engine=False)  # no allow-list
    alice, admin = make_account("member", client_=client), make_account("admin", client_=client)
    body = {"kind": kind, "target": target, **({"config": config} if config else {})}
    out = assert_error(client.post("/api/monitors", json=body, headers=alice.headers), 400, "BAD_REQUEST")
    assert "egress rule" in out["message"]
    assert _count(client, alice) == 0
    assert client.post("/api/monitors", json=body, headers=admin.headers).status_code == 201  # admins are trusted


def test_member_loopback_refused_without_allow_list(make_client, make_account):
    client = make_client(monitor_engine=False)
    alice = make_account("member", client_=client)
    out = assert_error(_create(client, alice, target="http://127.0.0.1:8080/"), 400, "BAD_REQUEST")
    assert "egress rule" in out["message"] and "127.0.0.1" not in out["message"].split("egress rule")[1]
