"""The issue's end to end: a real Podman container is stopped, the "not running" rule fires after
its hysteresis, an email (real SMTP server) and a webhook (real HTTP receiver) arrive; the
container is started again and both get the resolved notification. Evaluation is driven by
calling the scheduled job's function; the engine's state reaches the inventory by syncs."""

from __future__ import annotations

import pytest
from alerts_support import QUICK, Clock, active, post, smtp, webhook  # noqa: F401
from inventory_support import find, register, sync

pytestmark = pytest.mark.database


def test_stopped_container_alerts_by_email_and_webhook_then_resolves(make_client, make_account, make_container,
                                                                      engine_socket, smtp, webhook):
    handler, port = smtp
    client = make_client(**QUICK, smtp_host="127.0.0.1", smtp_port=port, smtp_from="alerts@cloudfold.test")
    admin = make_account("admin", client_=client)
    receiver = webhook()
    post(admin, "/api/alert-channels", {"name": "ops mail", "type": "email", "to": ["oncall@example.com"]})
    post(admin, "/api/alert-channels", {"name": "ops hook", "type": "webhook", "url": receiver.url})
    container = make_container()
    register(admin, "local", "podman", {"docker_host": engine_socket}, region="local")
    sync(admin, "podman")
    record = find(admin, "podman", container.name)
    assert record["status"] == "running"
    rule = post(admin, "/api/alert-rules", {"name": "container down", "kind": "not_running",
                                            "resource_id": record["id"], "severity": "critical"})
    clock = Clock(client)
    clock.tick()
    assert active(admin) == []

    container.stop(timeout=0)
    sync(admin, "podman")
    assert find(admin, "podman", container.name)["status"] == "stopped"
    clock.tick(2)
    assert active(admin) == [] and handler.messages == [] and receiver.bodies == []  # hysteresis: 2 of 3
    clock.tick()
    [alert] = active(admin, "/monitor/alerts")
    assert alert["rule_id"] == rule["id"] and alert["target"] == container.name and alert["status"] == "firing"
    assert [m[1]["Subject"] for m in handler.messages] == ["[FIRING:1] container down (critical)"]
    assert handler.messages[0][0] == ["oncall@example.com"] and container.name in handler.messages[0][1].get_content()
    assert [(b["status"], b["alerts"][0]["target"]) for b in receiver.bodies] == [("firing", container.name)]

    container.start()
    sync(admin, "podman")
    clock.tick(2)
    assert active(admin) == []
    assert [m[1]["Subject"] for m in handler.messages][-1] == "[RESOLVED] container down (critical)"
    assert [b["status"] for b in receiver.bodies] == ["firing", "resolved"]
    assert [e["type"] for e in clock.events] == ["alert.opened", "alert.resolved"]
    deliveries = client.get("/api/alert-deliveries", headers=admin.headers).json()
    assert sorted(d["status"] for d in deliveries) == ["sent"] * 4
