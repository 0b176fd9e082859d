"""Alert evaluation end to end over HTTP and the real job function: hysteresis, one alert per
rule + target, grouping and re-notification, resolution with a resolved notification, ack and
silence, deliveries with retries to a real webhook receiver and a real SMTP server."""

from __future__ import annotations

import json

import pytest
from alerts_support import (  # noqa: F401
    QUICK,
    Clock,
    active,
    machine,
    post,
    set_status,
    smtp,
    webhook,
)
from helpers_api import db, events_until
from sqlalchemy import select, update

from cloudfold.db.models import Account as CloudAccount
from cloudfold.db.models import AlertDelivery

pytestmark = pytest.mark.database


@pytest.fixture
def client(make_client):
    return make_client(**QUICK)


def rule(account, **body) -> dict:
    return post(account, "/api/alert-rules", {"name": "down", "kind": "not_running", **body})


def hook_channel(admin, receiver) -> dict:
    return post(admin, "/api/alert-channels", {"name": "ops hook", "type": "webhook", "url": receiver.url})


def test_hysteresis_opens_after_three_failures_and_resolves_after_two(client, member, admin, webhook):
    receiver = webhook()
    hook_channel(admin, receiver)
    box = machine(member)
    rule(member, resource_id=box["id"])
    clock = Clock(client)
    clock.tick()
    set_status(member, box["id"], "stopped")
    clock.tick(2)
    assert active(member) == [] and receiver.bodies == []  # two failures: not yet
    clock.tick()
    [alert] = active(member)
    assert alert["status"] == "firing" and alert["resource_id"] == box["id"] and alert["target"] == "web-1"
    assert "stopped" in alert["message"]
    assert [b["status"] for b in receiver.bodies] == ["firing"]
    assert receiver.bodies[0]["alerts"][0]["id"] == alert["id"]
    clock.tick(3)  # still failing: the same alert, no second one, nothing repeated yet
    assert [a["id"] for a in active(member)] == [alert["id"]] and len(receiver.bodies) == 1
    set_status(member, box["id"], "running")
    clock.tick()
    assert active(member) != []  # one good evaluation: not yet
    clock.tick()
    assert active(member) == []
    assert [b["status"] for b in receiver.bodies] == ["firing", "resolved"]
    resolved = member.client.get(f"/api/alerts/{alert['id']}", headers=member.headers).json()
    assert resolved["status"] == "resolved" and resolved["resolved_at"]
    assert [e["type"] for e in clock.events] == ["alert.opened", "alert.resolved"]
    assert clock.events[0]["_owner_id"] is not None


def test_hysteresis_is_per_rule(client, member):
    box = machine(member, status="stopped")
    rule(member, resource_id=box["id"], open_after=1, resolve_after=1)
    clock = Clock(client)
    clock.tick()
    assert len(active(member)) == 1
    set_status(member, box["id"], "running")
    clock.tick()
    assert active(member) == []


def test_alerts_are_grouped_waited_for_and_repeated(make_client, make_account, webhook):
    client = make_client(**{**QUICK, "alert_group_wait_seconds": 30, "alert_group_interval_seconds": 300,
                            "alert_repeat_interval_seconds": 4 * 3600, "alert_eval_seconds": 10})
    member, admin = make_account(client_=client), make_account("admin", client_=client)
    receiver = webhook()
    hook_channel(admin, receiver)
    a, b = machine(member, "a", "stopped"), machine(member, "b", "stopped")
    rule(member, open_after=1)  # every machine the member may see
    clock = Clock(client)
    clock.tick()  # both open at once
    assert len(active(member)) == 2 and receiver.bodies == []  # group wait: 30 s
    clock.tick(3)
    [first] = receiver.bodies
    assert first["status"] == "firing" and sorted(x["target"] for x in first["alerts"]) == ["a", "b"]
    set_status(member, a["id"], "running")
    clock.tick(2)  # a resolves (resolve_after 2) — told after the group interval, not at once
    assert len(receiver.bodies) == 1
    clock.later(300)
    assert len(receiver.bodies) == 2
    second = receiver.bodies[1]
    assert {x["target"]: x["status"] for x in second["alerts"]} == {"a": "resolved", "b": "firing"}
    clock.later(3600)
    assert len(receiver.bodies) == 2  # repeat after 4 h, not before
    clock.later(3 * 3600)
    assert len(receiver.bodies) == 3 and [x["target"] for x in receiver.bodies[2]["alerts"]] == ["b"]
    del b


def _firing_with_hook(client, member, admin, webhook, open_after: int) -> tuple:
    """A member's stopped machine watched by a rule, an admin's webhook; ticked until it fires."""
    receiver = webhook()
    hook_channel(admin, receiver)
    box = machine(member, status="stopped")
    rule(member, resource_id=box["id"], open_after=open_after)
    clock = Clock(client)
    clock.tick(open_after)
    return receiver, box, clock


def test_ack_stops_repeats_and_silence_stops_notifications(client, member, admin, webhook):
    receiver, box, clock = _firing_with_hook(client, member, admin, webhook, 1)
    [alert] = active(member)
    assert len(receiver.bodies) == 1
    r = member.client.post(f"/api/alerts/{alert['id']}/ack", headers=member.headers)
    assert r.status_code == 200 and r.json()["acknowledged"] and r.json()["acknowledged_by"].startswith(member.email)
    clock.later(5 * 3600)
    assert len(receiver.bodies) == 1  # acknowledged: not repeated
    r = member.client.post(f"/api/alerts/{alert['id']}/silence", json={"minutes": 600}, headers=member.headers)
    assert r.status_code == 200 and r.json()["silenced_until"]
    set_status(member, box["id"], "running")
    clock.tick(2)
    assert active(member) == []
    assert [b["status"] for b in receiver.bodies] == ["firing", "resolved"]  # the resolution is still told
    r = member.client.post(f"/api/alerts/{alert['id']}/ack", headers=member.headers)
    assert r.status_code == 409


def test_a_silenced_alert_is_not_notified(client, member, admin, webhook):
    receiver, _, clock = _firing_with_hook(client, member, admin, webhook, 2)
    [alert] = active(member)
    # opened and told in the same round; silence then keeps the repeats out
    member.client.post(f"/api/alerts/{alert['id']}/silence", json={"minutes": 60 * 24 * 10}, headers=member.headers)
    clock.later(5 * 3600)
    assert len(receiver.bodies) == 1


def test_failing_channel_is_retried_with_backoff_then_reported(make_client, make_account, webhook):
    client = make_client(**{**QUICK, "alert_delivery_backoff_seconds": 60, "alert_delivery_attempts": 3})
    member, admin = make_account(client_=client), make_account("admin", client_=client)
    receiver = webhook()
    receiver.status = 500
    channel = hook_channel(admin, receiver)
    rule(member, resource_id=machine(member, status="stopped")["id"], open_after=1)
    clock = Clock(client)
    clock.tick()
    r = admin.client.get("/api/alert-deliveries", headers=admin.headers).json()
    assert [(d["status"], d["attempts"], d["last_error"]) for d in r] == [("pending", 1, "webhook answered HTTP 500")]
    clock.later(30)
    assert admin.client.get("/api/alert-deliveries", headers=admin.headers).json()[0]["attempts"] == 1  # backoff
    clock.later(31)
    assert admin.client.get("/api/alert-deliveries", headers=admin.headers).json()[0]["attempts"] == 2
    clock.later(121)  # doubled
    [d] = admin.client.get("/api/alert-deliveries", headers=admin.headers).json()
    assert d["status"] == "failed" and d["attempts"] == 3
    clock.later(10_000)
    assert admin.client.get("/api/alert-deliveries", headers=admin.headers).json()[0]["attempts"] == 3  # no loop
    status = admin.client.get("/api/alerts/config-status", headers=admin.headers).json()
    [shown] = [c for c in status["channels"] if c["id"] == channel["id"]]
    assert shown["last_delivery_ok"] is False and shown["last_error"] == "webhook answered HTTP 500"
    receiver.status = 200
    r = admin.client.post("/api/alerts/test", json={}, headers=admin.headers).json()
    assert r["success"] is True and r["results"][0]["success"] is True
    status = admin.client.get("/api/alerts/config-status", headers=admin.headers).json()
    assert status["channels"][0]["last_delivery_ok"] is True and status["channels"][0]["last_error"] is None


def test_email_channel_gets_firing_and_resolved_mail(make_client, make_account, smtp):
    handler, port = smtp
    client = make_client(**QUICK, smtp_host="127.0.0.1", smtp_port=port, smtp_from="alerts@cloudfold.test")
    member, admin = make_account(client_=client), make_account("admin", client_=client)
    post(admin, "/api/alert-channels", {"name": "ops mail", "type": "email", "to": ["ops@example.com"]})
    box = machine(member, status="stopped")
    rule(member, resource_id=box["id"], open_after=1, resolve_after=1, severity="critical")
    clock = Clock(client)
    clock.tick()
    set_status(member, box["id"], "running")
    clock.tick()
    assert [m[0] for m in handler.messages] == [["ops@example.com"], ["ops@example.com"]]
    subjects = [m[1]["Subject"] for m in handler.messages]
    assert subjects == ["[FIRING:1] down (critical)", "[RESOLVED] down (critical)"]
    assert "web-1" in handler.messages[0][1].get_content()


def test_a_members_channel_gets_only_their_alerts(make_client, make_account, webhook):
    client = make_client(**QUICK, egress_allow=["127.0.0.0/8"])
    alice, bob = make_account(client_=client), make_account(client_=client)
    alice_hook, bob_hook = webhook(), webhook()
    post(alice, "/api/alert-channels", {"name": "mine", "type": "webhook", "url": alice_hook.url})
    post(bob, "/api/alert-channels", {"name": "mine", "type": "webhook", "url": bob_hook.url})
    rule(alice, resource_id=machine(alice, status="stopped")["id"], open_after=1)
    Clock(client).tick()
    assert len(alice_hook.bodies) == 1 and bob_hook.bodies == []
    assert len(active(alice)) == 1 and active(bob) == []


def test_sync_failing_rule(client, admin, webhook):
    receiver = webhook()
    hook_channel(admin, receiver)
    r = admin.client.post("/api/providers", json={"id": "aws-x", "provider_type": "aws", "display_name": "x",
                                                  "region": "us-east-1",
                                                  "credentials": {"access_key": "AKIA", "secret_key": "s"}},
                          headers=admin.headers)
    assert r.status_code in (200, 201), r.text
    rule(admin, kind="sync_failing", params={"failures": 2}, open_after=1)
    clock = Clock(client)
    clock.tick()
    assert active(admin) == []
    with db(client) as session:
        session.execute(update(CloudAccount).where(CloudAccount.slug == "aws-x").values(sync_failures=2))
    clock.tick()
    [alert] = active(admin)
    assert alert["kind"] == "sync_failing" and alert["target"] == "aws-x" and alert["value"] == 2
    with db(client) as session:
        session.execute(update(CloudAccount).where(CloudAccount.slug == "aws-x").values(sync_failures=0))
    clock.tick(2)
    assert active(admin) == []


def test_restart_rule_fires_when_the_count_goes_up(client, admin):
    from cloudfold.db.models import Resource

    box = machine(admin)
    with db(client) as session:
        session.execute(update(Resource).where(Resource.id == box["id"]).values(meta={"restart_count": 1}))
    rule(admin, kind="container_restarting", resource_id=box["id"], open_after=1, resolve_after=1)
    clock = Clock(client)
    clock.tick()
    assert active(admin) == []
    with db(client) as session:
        session.execute(update(Resource).where(Resource.id == box["id"]).values(meta={"restart_count": 3}))
    clock.tick()
    [alert] = active(admin)
    assert alert["value"] == 3
    clock.tick()
    assert active(admin) == []


@pytest.mark.parametrize("watching", [False, True])
def test_a_deleted_target_resolves_its_alert_with_a_notification(client, member, admin, webhook, watching):
    receiver = webhook()
    hook_channel(admin, receiver)
    box = machine(member, status="stopped")
    made = rule(member, open_after=1, **({"resource_id": box["id"]} if watching else {}))
    clock = Clock(client)
    clock.tick()
    assert len(active(member)) == 1
    assert member.client.delete(f"/api/resources/{box['id']}", headers=member.headers).status_code in (200, 204)
    clock.tick()
    assert active(member) == []
    [gone] = member.client.get("/api/alerts?status=resolved", headers=member.headers).json()["alerts"]
    assert gone["message"] == "the target is gone"
    assert [b["status"] for b in receiver.bodies] == ["firing", "resolved"]
    assert member.client.get(f"/api/alert-rules/{made['id']}", headers=member.headers).status_code == 200


def test_disabling_a_rule_resolves_its_alerts(client, member):
    made = rule(member, resource_id=machine(member, status="stopped")["id"], open_after=1)
    clock = Clock(client)
    clock.tick()
    assert len(active(member)) == 1
    r = member.client.patch(f"/api/alert-rules/{made['id']}", json={"enabled": False}, headers=member.headers)
    assert r.status_code == 200 and r.json()["enabled"] is False
    assert active(member) == []
    clock.tick(3)
    assert active(member) == []  # a disabled rule is not evaluated
    member.client.patch(f"/api/alert-rules/{made['id']}", json={"enabled": True}, headers=member.headers)
    clock.tick()
    assert len(active(member)) == 1


def test_a_rule_is_claimed_once_per_period(client, member):
    from datetime import timedelta

    from cloudfold.db.models import AlertRule
    from cloudfold.domain.alerts import evaluate

    rule(member, resource_id=machine(member)["id"])
    rt = client.app.state.runtime
    with db(client) as session:
        now = session.scalar(select(AlertRule.next_eval_at)) + timedelta(seconds=1)
    with rt.sessions() as one, rt.sessions() as two:
        first = evaluate.claim_due(one, now, 60)
        second = evaluate.claim_due(two, now, 60)
    assert len(first) == 1 and second == []
    with db(client) as session:
        assert session.scalar(select(AlertDelivery.id)) is None



def test_alert_events_reach_only_those_who_may_see_them(client, make_account, admin):
    alice, bob = make_account(), make_account()
    mine = machine(alice, "alice-secret-box", status="stopped")
    rule(alice, resource_id=mine["id"], open_after=1, resolve_after=1)
    clock = Clock(client, live=True)
    with client.websocket_connect(f"/ws?token={alice.key}") as alice_ws, \
            client.websocket_connect(f"/ws?token={bob.key}") as bob_ws, \
            client.websocket_connect(f"/ws?token={admin.key}") as admin_ws:
        clock.tick()
        opened = events_until(alice_ws, lambda e: e["type"] == "alert.opened")[-1]
        assert opened["resource_id"] == mine["id"] and opened["target"] == "alice-secret-box"
        assert not any(k.startswith("_") for k in opened)
        events_until(admin_ws, lambda e: e["type"] == "alert.opened")  # admins hear everything
        theirs = machine(bob, "bobs-box", status="stopped")
        rule(bob, resource_id=theirs["id"], open_after=1)
        clock.tick()
        heard = events_until(bob_ws, lambda e: e["type"] == "alert.opened")
        assert heard[-1]["resource_id"] == theirs["id"]
        assert "alice-secret-box" not in json.dumps(heard)
        set_status(alice, mine["id"], "running")
        clock.tick()
        assert events_until(alice_ws, lambda e: e["type"] == "alert.resolved")[-1]["alert_id"] == opened["alert_id"]


def test_a_delivery_is_claimed_by_one_process(client, member, admin, webhook):
    from datetime import timedelta

    from cloudfold.domain.alerts import notify

    receiver = webhook()
    receiver.status = 503  # the first attempt fails: the delivery stays pending for a retry
    hook_channel(admin, receiver)
    rule(member, resource_id=machine(member, status="stopped")["id"], open_after=1)
    clock = Clock(client)
    clock.tick()
    rt = client.app.state.runtime
    later = clock.now + timedelta(seconds=1)
    with rt.sessions() as one, rt.sessions() as two:
        first = notify._claim(one, later, 60)
        second = notify._claim(two, later, 60)
    assert len(first) == 1 and second == []


def test_an_unreachable_mail_server_is_a_failed_delivery_not_an_error(make_client, make_account):
    from auth_support import free_port

    client = make_client(**QUICK, smtp_host="127.0.0.1", smtp_port=free_port())
    admin = make_account("admin", client_=client)
    channel = post(admin, "/api/alert-channels", {"name": "mail", "type": "email", "to": ["ops@example.com"]})
    r = client.post("/api/alerts/test", json={"channel_id": channel["id"]}, headers=admin.headers)
    assert r.status_code == 200, r.text
    assert r.json()["results"] == [{"channel_id": channel["id"], "name": "mail", "type": "email", "success": False,
                                    "error": "mail server unavailable"}]
    [d] = client.get("/api/alert-deliveries", headers=admin.headers).json()
    assert d["kind"] == "test" and d["status"] == "failed" and d["last_error"] == "mail server unavailable"


def test_the_scheduled_job_evaluates_through_the_task_queue(client, member, admin):
    from helpers_api import wait_for_task

    box = machine(member, status="stopped")
    rule(member, resource_id=box["id"], open_after=1)
    task_id = client.app.state.runtime.queue.enqueue("alerts.evaluate")
    task = wait_for_task(client, admin.headers, task_id)
    assert task["status"] == "succeeded", task
    assert task["result"]["rules"] == 1 and task["result"]["opened"] == 1
    assert len(active(member)) == 1
