"""The alerting API: rules and channels made, read, changed and deleted; bad input, unknown ids,
wrong scope, quotas; a second member can neither see nor change the first's rules, alerts,
channels or deliveries; channel secrets never come back; members' webhooks obey the egress rule."""

from __future__ import annotations

import pytest
from alerts_support import QUICK, Clock, machine, post, webhook  # noqa: F401
from conftest import assert_error
from helpers_api import db
from sqlalchemy import select

from cloudfold.db.models import AlertChannel, AuditEvent


@pytest.fixture
def client(make_client):
    return make_client(**QUICK)


def test_rule_crud_and_audit(client, member):
    box = machine(member)
    made = post(member, "/api/alert-rules", {"name": "cpu hot", "kind": "cpu_above", "params": {"threshold": 90},
                                             "resource_id": box["id"], "severity": "critical"})
    assert made["params"] == {"threshold": 90.0, "minutes": 5} and made["open_after"] == 3 and made["resolve_after"] == 2
    assert made["resource_id"] == box["id"] and made["enabled"] is True
    h = member.headers
    assert client.get(f"/api/alert-rules/{made['id']}", headers=h).json()["name"] == "cpu hot"
    r = client.patch(f"/api/alert-rules/{made['id']}", json={"params": {"threshold": 80, "minutes": 10},
                                                               "open_after": 5, "resource_id": None}, headers=h)
    assert r.status_code == 200, r.text
    changed = r.json()
    assert changed["params"] == {"threshold": 80.0, "minutes": 10} and changed["open_after"] == 5
    assert changed["resource_id"] is None and changed["severity"] == "critical"
    assert [x["id"] for x in client.get("/api/alert-rules", headers=h).json()] == [made["id"]]
    assert client.delete(f"/api/alert-rules/{made['id']}", headers=h).status_code == 204
    assert_error(client.get(f"/api/alert-rules/{made['id']}", headers=h), 404, "NOT_FOUND")
    with db(client) as session:
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("alert_rule.%"))).all()
    assert actions == ["alert_rule.create", "alert_rule.update", "alert_rule.delete"]


@pytest.mark.parametrize("body, words", [
    ({"name": "x"}, "kind"),
    ({"kind": "not_running"}, "name"),
    ({"name": "x", "kind": "nope"}, "kind must be one of"),
    ({"name": "x", "kind": "cpu_above"}, "params.threshold is required"),
    ({"name": "x", "kind": "memory_above", "params": {"threshold": 120}}, "from 0 to 100"),
    ({"name": "x", "kind": "cpu_above", "params": {"threshold": "high"}}, "must be a number"),
    ({"name": "x", "kind": "cpu_above", "params": {"threshold": 50, "minutes": 1.5}}, "an integer"),
    ({"name": "x", "kind": "not_running", "params": {"threshold": 1}}, "unknown for not_running"),
    ({"name": "x", "kind": "sync_failing", "resource_id": 1}, "watches account_id"),
    ({"name": "x", "kind": "not_running", "open_after": 0}, "open_after"),
    ({"name": "x", "kind": "not_running", "severity": "loud"}, "severity"),
    ({"name": "x", "kind": "not_running", "resource_id": "one"}, "resource_id"),
    ({"name": "x", "kind": "not_running", "surprise": 1}, "surprise"),
])
def test_bad_rules_are_refused_and_change_nothing(client, member, body, words):
    r = client.post("/api/alert-rules", json=body, headers=member.headers)
    # the schema's refusals (a missing, mistyped or unknown field) are 422, the domain's 400
    schema = ("name" not in body or "kind" not in body
              or any(k in body for k in ("open_after", "severity", "surprise")) or body.get("resource_id") == "one")
    assert r.status_code == (422 if schema else 400), r.text
    assert words in r.text
    assert client.get("/api/alert-rules", headers=member.headers).json() == []


def test_unknown_ids_and_kind_change(client, member):
    h = member.headers
    assert_error(client.post("/api/alert-rules", json={"name": "x", "kind": "not_running", "resource_id": 99999},
                             headers=h), 404, "NOT_FOUND")
    assert_error(client.post("/api/alert-rules", json={"name": "x", "kind": "sync_failing", "account_id": 99999},
                             headers=h), 404, "NOT_FOUND")
    assert_error(client.post("/api/alert-rules", json={"name": "x", "kind": "target_down", "monitor_id": 99999},
                             headers=h), 404, "NOT_FOUND")
    for path in ("/api/alert-rules/99999", "/api/alert-channels/99999", "/api/alerts/99999"):
        assert_error(client.get(path, headers=h), 404, "NOT_FOUND")
    assert_error(client.post("/api/alerts/99999/ack", headers=h), 404, "NOT_FOUND")
    made = post(member, "/api/alert-rules", {"name": "x", "kind": "not_running"})
    assert_error(client.patch(f"/api/alert-rules/{made['id']}", json={"kind": "cpu_above"}, headers=h),
                 400, "BAD_REQUEST")
    assert client.get("/api/alerts/abc", headers=h).status_code in (404, 422)


def test_scopes(client, make_account, member):
    from cloudfold.domain import users
    from cloudfold.domain.context import SYSTEM
    from cloudfold.security.scopes import Role

    with client.app.state.runtime.sessions() as session:
        users.register(session, SYSTEM, "viewer-alerts@example.com", "correct-horse-battery", "V", Role.viewer)
    from conftest import Account

    viewer = Account(client, "viewer-alerts@example.com")
    assert client.get("/api/alert-rules", headers=viewer.headers).status_code == 200
    assert_error(client.post("/api/alert-rules", json={"name": "x", "kind": "not_running"}, headers=viewer.headers),
                 403, "FORBIDDEN")
    assert_error(client.post("/api/alerts/test", json={}, headers=viewer.headers), 403, "FORBIDDEN")
    for path in ("/api/alert-rules", "/api/alert-channels", "/api/alerts", "/api/alerts/config-status",
                 "/monitor/alerts", "/api/alert-deliveries"):
        assert_error(client.get(path), 401, "UNAUTHORIZED")


def test_rules_count_toward_the_quota(client, member, admin):
    r = client.put(f"/api/users/{_user_id(client, member)}/quotas", json={"alert_rules": 1}, headers=admin.headers)
    assert r.status_code == 200, r.text
    post(member, "/api/alert-rules", {"name": "one", "kind": "not_running"})
    body = assert_error(client.post("/api/alert-rules", json={"name": "two", "kind": "not_running"},
                                    headers=member.headers), 403, "FORBIDDEN")
    assert body["detail"]["quota"] == "alert_rules" and body["detail"]["used"] == 1
    assert len(client.get("/api/alert-rules", headers=member.headers).json()) == 1
    assert client.get("/api/quotas/me", headers=member.headers).json()["quotas"]["alert_rules"]["used"] == 1


def _user_id(client, account) -> int:
    return client.get("/auth/me", headers=account.headers).json()["id"]


def test_channel_secrets_are_sealed_and_never_shown(client, admin, webhook):
    receiver = webhook()
    secret_url = receiver.url + "?token=s3cr3t-value"
    made = post(admin, "/api/alert-channels", {"name": "hook", "type": "webhook", "url": secret_url,
                                               "headers": {"Authorization": "Bearer hush-hush"}})
    assert made["shared"] is True and made["secrets_set"] == ["url"] and made["config"] == {}
    for path in ("/api/alert-channels", f"/api/alert-channels/{made['id']}", "/api/alerts/config-status",
                 "/monitor/audit?limit=100"):
        text = client.get(path, headers=admin.headers).text
        assert "s3cr3t" not in text and "hush-hush" not in text
    with db(client) as session:
        stored = session.get(AlertChannel, made["id"])
        assert "s3cr3t" not in (stored.secret_sealed or "") and "s3cr3t" not in str(stored.config)
    r = client.post("/api/alerts/test", json={"channel_id": made["id"]}, headers=admin.headers).json()
    assert r["success"] is True and r["sent"] == 1
    assert receiver.headers[0]["Authorization"] == "Bearer hush-hush" and receiver.bodies[0]["status"] == "test"
    r = client.patch(f"/api/alert-channels/{made['id']}", json={"name": "renamed", "enabled": False},
                     headers=admin.headers)
    assert r.status_code == 200 and r.json()["name"] == "renamed" and r.json()["enabled"] is False
    status = client.get("/api/alerts/config-status", headers=admin.headers).json()
    assert status["configured"] is False and status["webhook"] is False and len(status["channels"]) == 1


@pytest.mark.parametrize("body, status", [
    ({"name": "m", "type": "email"}, 400),
    ({"name": "m", "type": "email", "to": ["not-an-address"]}, 422),
    ({"name": "m", "type": "email", "to": ["a@example.com"], "url": "http://example.com"}, 400),
    ({"name": "h", "type": "webhook"}, 400),
    ({"name": "h", "type": "webhook", "url": "ftp://example.com/x"}, 400),
    ({"name": "h", "type": "webhook", "url": "http://user:pw@example.com/x"}, 400),
    ({"name": "h", "type": "webhook", "url": "http://example.com", "to": ["a@example.com"]}, 400),
    ({"name": "a", "type": "apprise", "url": "nosuchscheme://x"}, 400),
    ({"name": "p", "type": "pager"}, 422),
    ({"type": "webhook", "url": "http://example.com"}, 422),
])
def test_bad_channels_are_refused(client, admin, body, status):
    r = client.post("/api/alert-channels", json=body, headers=admin.headers)
    assert r.status_code == status, r.text
    assert client.get("/api/alert-channels", headers=admin.headers).json() == []


def test_members_webhooks_obey_the_egress_rule(client, member, admin, webhook):
    receiver = webhook()
    for url in (receiver.url, "http://169.254.169.254/latest", "http://10.1.2.3/x", "http://[::1]:9/x"):
        assert_error(client.post("/api/alert-channels", json={"name": "h", "type": "webhook", "url": url},
                                 headers=member.headers), 400, "BAD_REQUEST")
    assert client.get("/api/alert-channels", headers=member.headers).json() == []
    made = post(admin, "/api/alert-channels", {"name": "ops", "type": "webhook", "url": receiver.url})  # admins may
    assert made["shared"] is True


def test_a_member_apprise_channel_cannot_reach_loopback(client, member, webhook):
    receiver = webhook()
    port = receiver.url.split(":")[2].split("/")[0]
    made = post(member, "/api/alert-channels", {"name": "chat", "type": "apprise", "url": f"json://127.0.0.1:{port}/hook"})
    r = client.post("/api/alerts/test", json={"channel_id": made["id"]}, headers=member.headers).json()
    assert r["success"] is False and r["results"][0]["success"] is False
    assert receiver.bodies == []


def test_an_allow_listed_member_reaches_their_webhook_and_apprise(make_client, make_account, webhook):
    client = make_client(**QUICK, egress_allow=["127.0.0.0/8"])
    member = make_account(client_=client)
    receiver = webhook()
    port = receiver.url.split(":")[2].split("/")[0]
    post(member, "/api/alert-channels", {"name": "hook", "type": "webhook", "url": receiver.url})
    post(member, "/api/alert-channels", {"name": "chat", "type": "apprise", "url": f"json://127.0.0.1:{port}/hook"})
    r = client.post("/api/alerts/test", json={}, headers=member.headers).json()
    assert r["success"] is True and sorted(x["type"] for x in r["results"]) == ["apprise", "webhook"]
    assert len(receiver.bodies) == 2


def test_a_second_member_can_neither_see_nor_change_the_firsts(client, make_account, admin, webhook):
    alice, bob = make_account(), make_account()
    box = machine(alice, status="stopped")
    made = post(alice, "/api/alert-rules", {"name": "a", "kind": "not_running", "resource_id": box["id"],
                                            "open_after": 1})
    Clock(client).tick()
    [alert] = client.get("/api/alerts", headers=alice.headers).json()["alerts"]
    h = bob.headers
    # bob cannot watch alice's machine, nor see, change or delete her rule and alert
    assert_error(client.post("/api/alert-rules", json={"name": "b", "kind": "not_running", "resource_id": box["id"]},
                             headers=h), 404, "NOT_FOUND")
    assert client.get("/api/alert-rules", headers=h).json() == []
    assert client.get("/api/alerts?status=all", headers=h).json() == {"alerts": [], "count": 0}
    assert client.get("/monitor/alerts", headers=h).json() == {"alerts": [], "count": 0}
    for call in (lambda: client.get(f"/api/alert-rules/{made['id']}", headers=h),
                 lambda: client.patch(f"/api/alert-rules/{made['id']}", json={"name": "mine"}, headers=h),
                 lambda: client.delete(f"/api/alert-rules/{made['id']}", headers=h),
                 lambda: client.get(f"/api/alerts/{alert['id']}", headers=h),
                 lambda: client.post(f"/api/alerts/{alert['id']}/ack", headers=h),
                 lambda: client.post(f"/api/alerts/{alert['id']}/silence", json={"minutes": 5}, headers=h)):
        body = assert_error(call(), 404, "NOT_FOUND")
        assert "alice" not in str(body) and box["name"] not in str(body)
    assert client.get(f"/api/alert-rules/{made['id']}", headers=alice.headers).json()["name"] == "a"
    assert client.get("/monitor/alerts", headers=alice.headers).json()["count"] == 1
    assert client.get("/monitor/alerts", headers=admin.headers).json()["count"] == 1  # admins see all
    # the seed 000 summary counts what /monitor/alerts lists, for each viewer
    for account, firing in ((alice, 1), (bob, 0), (admin, 1)):
        assert client.get("/monitor/summary", headers=account.headers).json()["alerts"] == {
            "firing": firing, "acknowledged": 0}
    client.post(f"/api/alerts/{alert['id']}/ack", headers=alice.headers)
    assert client.get("/monitor/summary", headers=alice.headers).json()["alerts"] == {"firing": 1, "acknowledged": 1}
    # a shared (admin's) channel: seen by members, changed, deleted or tested by admins only
    receiver = webhook()
    shared = post(admin, "/api/alert-channels", {"name": "ops", "type": "webhook", "url": receiver.url})
    assert [c["id"] for c in client.get("/api/alert-channels", headers=h).json()] == [shared["id"]]
    assert_error(client.patch(f"/api/alert-channels/{shared['id']}", json={"name": "x"}, headers=h), 403, "FORBIDDEN")
    assert_error(client.delete(f"/api/alert-channels/{shared['id']}", headers=h), 403, "FORBIDDEN")
    assert_error(client.post("/api/alerts/test", json={"channel_id": shared["id"]}, headers=h), 403, "FORBIDDEN")
    assert client.post("/api/alerts/test", json={}, headers=h).json()["results"] == []
    assert receiver.bodies == []
    # the delivery log of a shared channel carries everyone's alerts: admins only
    assert client.post("/api/alerts/test", json={}, headers=admin.headers).json()["sent"] == 1
    assert [d["kind"] for d in client.get("/api/alert-deliveries", headers=admin.headers).json()] == ["test"]
    assert client.get("/api/alert-deliveries", headers=h).json() == []
    assert_error(client.get(f"/api/alert-deliveries?channel_id={made['id'] + 999}", headers=h), 404, "NOT_FOUND")


def test_monitor_alerts_and_filters(client, member):
    box = machine(member, status="stopped")
    post(member, "/api/alert-rules", {"name": "a", "kind": "not_running", "resource_id": box["id"], "open_after": 1})
    Clock(client).tick()
    [alert] = client.get("/monitor/alerts", headers=member.headers).json()["alerts"]
    assert alert["rule"] == "a" and alert["severity"] == "warning" and alert["status"] == "firing"
    assert client.get("/api/alerts?status=resolved", headers=member.headers).json()["count"] == 0
    assert client.get("/api/alerts?status=bogus", headers=member.headers).status_code == 422
    r = client.post(f"/api/alerts/{alert['id']}/silence", json={"minutes": 0}, headers=member.headers)
    assert r.status_code == 422
    r = client.delete(f"/api/alerts/{alert['id']}/silence", headers=member.headers)
    assert r.status_code == 200 and r.json()["silenced_until"] is None


def test_config_status_without_channels(client, member):
    status = client.get("/api/alerts/config-status", headers=member.headers).json()
    assert status == {"configured": False, "email": False, "webhook": False, "apprise": False, "channels": []}
    r = client.post("/api/alerts/test", headers=member.headers)
    assert r.status_code == 200 and r.json()["success"] is False and r.json()["message"] == "no alert channel is configured"


def test_rotating_the_credentials_key_reseals_channel_secrets(client, admin):
    from cloudfold.cli.ops import rotate_credentials_key
    from cloudfold.security.secretbox import SecretBox

    made = post(admin, "/api/alert-channels", {"name": "hook", "type": "webhook", "url": "https://127.0.0.1:9/t0k"})
    settings = client.app.state.runtime.settings
    rotate_credentials_key(settings)
    newest = (settings.data_dir / "credentials.key").read_text().split()[0]
    with db(client) as session:
        sealed = session.get(AlertChannel, made["id"]).secret_sealed
        actions = session.scalars(select(AuditEvent.detail).where(AuditEvent.action == "credentials.rotate_key")).all()
    assert SecretBox([newest.encode()]).open(sealed)["url"] == "https://127.0.0.1:9/t0k"
    assert actions == [{"accounts": 0, "alert_channels": 1, "caches": 0}]


def test_rule_kinds_are_listed_with_their_parameters(client, member):
    r = client.get("/api/alert-rules/kinds", headers=member.headers)
    assert r.status_code == 200, r.text
    kinds = {k["kind"]: k for k in r.json()}
    assert set(kinds) == {"not_running", "container_restarting", "sync_failing", "target_down", "latency_above",
                          "cert_expiring", "cpu_above", "memory_above", "lb_target_unhealthy"}
    cpu = kinds["cpu_above"]
    assert [p["name"] for p in cpu["params"]] == ["threshold", "minutes"] and cpu["params"][0]["default"] is None
    assert cpu["targets"] == ["resource_id"]
    assert kinds["target_down"]["targets"] == ["monitor_id", "resource_id"]
