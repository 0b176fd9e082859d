"""The audit log (seed 000 monitor family): /monitor/audit and /monitor/audit/metrics."""

from __future__ import annotations

import pytest

from cloudfold.db.models import AuditEvent
from conftest import assert_error
from helpers_api import audit_metrics, audit_page, create_key, db, key_headers, new_request_id

pytestmark = pytest.mark.database  # also run on PostgreSQL in CI

EVENT_FIELDS = {"id", "time", "actor", "actor_ip", "action", "target", "result", "status_code", "request_id", "detail"}


def targets(page: dict) -> set[str]:
    return {e["target"] for e in page["events"]}


def test_events_have_their_fields_newest_first(client, member):
    key = create_key(client, member.headers, name="audited")
    page = audit_page(client, member.headers)
    assert page["limit"] == 50 and page["offset"] == 0 and page["total"] == len(page["events"])
    assert all(set(e) == EVENT_FIELDS for e in page["events"])
    newest = page["events"][0]
    assert newest["action"] == "apikey.create" and newest["target"] == f"apikey:{key['id']}"
    assert newest["result"] == "success" and newest["actor"].startswith(member.email)
    assert newest["detail"] == {"name": "audited", "scopes": ["read", "write"]}
    assert newest["actor_ip"] == "testclient" and newest["request_id"]
    ids = [e["id"] for e in page["events"]]
    assert ids == sorted(ids, reverse=True)


def test_members_see_only_their_own_events_admins_see_all(client, member, admin, make_account):
    other = make_account("member")
    mine = f"apikey:{create_key(client, member.headers)['id']}"
    theirs = f"apikey:{create_key(client, other.headers)['id']}"
    assert client.get("/auth/keys", headers=key_headers("cfk_anonymous-guess")).status_code == 401

    member_page = audit_page(client, member.headers, limit=500)
    assert mine in targets(member_page) and theirs not in targets(member_page)
    assert all(e["actor"].startswith(member.email) for e in member_page["events"])

    admin_page = audit_page(client, admin.headers, limit=500)
    assert {mine, theirs} <= targets(admin_page)
    assert "anonymous" in {e["actor"] for e in admin_page["events"]}
    assert admin_page["total"] > member_page["total"]


@pytest.mark.parametrize("status", [401, 403])
def test_refusals_are_recorded_as_blocked(client, admin, make_account, status):
    viewer = make_account("viewer")
    request_id = new_request_id()
    headers = {"X-Request-ID": request_id}
    if status == 403:
        headers.update(viewer.headers)
    else:
        headers.update(key_headers("cfk_not-a-key"))
    assert client.post("/auth/keys", json={"name": "x"}, headers=headers).status_code == status

    events = [e for e in audit_page(client, admin.headers, result="blocked")["events"] if e["request_id"] == request_id]
    assert len(events) == 1
    event = events[0]
    assert event["status_code"] == status and event["action"] == "POST /auth/keys"
    assert event["target"] == "/auth/keys" and event["detail"]["reason"]
    if status == 403:
        assert event["actor"].startswith(viewer.email)
        own = audit_page(client, viewer.headers, result="blocked")["events"]
        assert [e["request_id"] for e in own] == [request_id]
    else:
        assert event["actor"] == "anonymous"


def test_result_and_action_filters(client, member):
    create_key(client, member.headers, name="one")
    create_key(client, member.headers, name="two")
    read_only = key_headers(create_key(client, member.headers, scopes=["read"])["key"])
    assert client.post("/auth/keys", json={"name": "no"}, headers=read_only).status_code == 403

    created = audit_page(client, member.headers, action="apikey.create")
    assert created["total"] == 3 and {e["action"] for e in created["events"]} == {"apikey.create"}
    blocked = audit_page(client, member.headers, result="blocked")
    assert blocked["total"] == 1 and blocked["events"][0]["status_code"] == 403
    both = audit_page(client, member.headers, action="apikey.create", result="blocked")
    assert both["total"] == 0 and both["events"] == []
    assert audit_page(client, member.headers, action="no.such.action")["total"] == 0


def test_pagination(client, member):
    for n in range(3):
        create_key(client, member.headers, name=f"page-{n}")
    everything = audit_page(client, member.headers, action="apikey.create")["events"]
    pages = [audit_page(client, member.headers, action="apikey.create", limit=1, offset=i) for i in range(3)]
    assert [p["events"][0]["id"] for p in pages] == [e["id"] for e in everything]
    assert all(p["total"] == 3 and p["limit"] == 1 for p in pages)
    assert audit_page(client, member.headers, action="apikey.create", offset=3)["events"] == []


@pytest.mark.parametrize("params", [
    {"limit": 0}, {"limit": 501}, {"limit": -1}, {"limit": "many"}, {"offset": -1},
    {"result": "maybe"}, {"action": "a" * 121},
])
def test_bad_query_parameters_are_400(client, member, params):
    body = assert_error(client.get("/monitor/audit", params=params, headers=member.headers), 400, "BAD_REQUEST")
    assert body["detail"][0]["loc"][0] == "query"


def test_limit_bounds_are_inclusive(client, member):
    assert audit_page(client, member.headers, limit=1)["limit"] == 1
    assert audit_page(client, member.headers, limit=500)["limit"] == 500


@pytest.mark.parametrize("path", ["/monitor/audit", "/monitor/audit/metrics"])
def test_audit_needs_the_read_scope(client, member, path):
    assert_error(client.get(path), 401, "UNAUTHORIZED")
    no_scopes = key_headers(create_key(client, member.headers, scopes=[])["key"])
    assert_error(client.get(path, headers=no_scopes), 403, "FORBIDDEN")


def test_metrics_agree_with_the_events(client, admin, make_account):
    viewer = make_account("viewer")
    create_key(client, admin.headers)
    assert client.post("/auth/keys", json={"name": "x"}, headers=viewer.headers).status_code == 403
    assert client.post("/auth/login", json={"email": viewer.email, "password": "wrong-password"}).status_code == 401

    m = audit_metrics(client, admin.headers)
    assert set(m) == {"total_events", "success", "failed", "blocked", "success_rate", "by_action"}
    assert m["total_events"] == audit_page(client, admin.headers)["total"]
    for result in ("success", "failed", "blocked"):
        assert m[result] == audit_page(client, admin.headers, result=result)["total"] >= 1
    assert m["success"] + m["failed"] + m["blocked"] == m["total_events"]
    assert m["success_rate"] == round(100 * m["success"] / m["total_events"], 2)
    counts = [a["count"] for a in m["by_action"]]
    assert counts == sorted(counts, reverse=True)
    for entry in m["by_action"]:
        assert entry["count"] == audit_page(client, admin.headers, action=entry["action"])["total"]


def test_metrics_are_scoped_to_the_viewer(client, member, admin):
    read_only = key_headers(create_key(client, member.headers, scopes=["read"])["key"])
    before = audit_metrics(client, member.headers)
    admin_before = audit_metrics(client, admin.headers)
    assert client.post("/auth/keys", json={"name": "no"}, headers=read_only).status_code == 403
    create_key(client, admin.headers)

    after = audit_metrics(client, member.headers)
    assert (after["blocked"], after["success"]) == (before["blocked"] + 1, before["success"])
    assert after["total_events"] == before["total_events"] + 1
    assert after["success_rate"] < before["success_rate"]
    admin_after = audit_metrics(client, admin.headers)
    assert admin_after["total_events"] == admin_before["total_events"] + 2


def test_metrics_of_an_empty_log(client, member):
    headers = member.headers  # log in first: that is audited too
    with db(client) as session:
        session.query(AuditEvent).delete()
    assert audit_metrics(client, headers) == {
        "total_events": 0, "success": 0, "failed": 0, "blocked": 0, "success_rate": 100.0, "by_action": []}


def test_a_refused_login_with_a_nul_character_is_refused_and_recorded(client):
    """PostgreSQL takes no NUL in text: a login name carrying one is answered 401 (as any wrong
    name), and its audit line keeps it with U+FFFD in the NUL's place (found by the schema fuzz)."""
    form = client.post("/auth/login", data={"username": "\x00", "password": "0"})
    assert_error(form, 401, "UNAUTHORIZED")
    body = client.post("/auth/login", json={"email": "a\x00@example.com", "password": "0"})
    assert "U+0000" in assert_error(body, 400, "BAD_REQUEST")["detail"][0]["msg"]  # not an email at all
    with db(client) as session:
        actors = [e.actor for e in session.query(AuditEvent).filter(AuditEvent.action == "auth.login")]
    assert "\ufffd" in actors and all("\x00" not in (a or "") for a in actors)
