"""The machine page's buttons against a real Podman container: they go through the one action
path (domain/actions.perform), reach the engine, and leave the same history and audit as the API."""

from __future__ import annotations

from inventory_support import find, register, sync
from ui_support import signed_in


def test_stop_and_start_buttons_reach_the_engine(client, admin, make_container, engine_socket):
    c = make_container()
    register(admin, "local", "podman", {"docker_host": engine_socket})
    sync(admin, "podman")
    rid = find(admin, "podman", c.name)["id"]
    token = signed_in(client, admin)

    page = client.get(f"/ui/machines/{rid}").text
    assert 'data-action="stop"' in page and 'data-action="start"' not in page
    r = client.post(f"/ui/machines/{rid}/action", data={"action": "stop", "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/ui/machines/{rid}"
    c.reload()
    assert c.status == "exited"
    page = client.get(f"/ui/machines/{rid}").text
    assert 'id="machine-state">stopped<' in page and 'data-action="start"' in page and 'data-action="stop"' not in page

    again = client.post(f"/ui/machines/{rid}/action", data={"action": "stop", "csrf_token": token})
    assert again.status_code == 409 and "already stopped" in again.text  # the domain's refusal, shown

    r = client.post(f"/ui/machines/{rid}/action", data={"action": "start", "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    c.reload()
    assert c.status == "running"
    logs = client.get(f"/api/resources/{rid}/logs", headers=admin.headers).json()
    assert [(x["action"], x["result"], x["via"]) for x in logs[:3]] == [
        ("start", "success", "POST /ui/machines/{id}/action"), ("stop", "blocked", "POST /ui/machines/{id}/action"),
        ("stop", "success", "POST /ui/machines/{id}/action")]
    audit = client.get("/monitor/audit", params={"action": "resource.stop"}, headers=admin.headers).json()
    assert [e["result"] for e in audit["events"][:2]] == ["blocked", "success"]
