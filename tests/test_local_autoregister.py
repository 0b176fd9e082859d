"""At start cloudfold registers the `local` account by itself when it finds an engine,
and the health endpoints report the engine."""

from __future__ import annotations

from inventory_support import sync


def test_local_account_is_registered_at_start_and_syncs(make_client, make_account, engine_socket):
    client = make_client(auto_register_local=True, docker_host=engine_socket)
    admin = make_account("admin", client_=client)
    member = make_account("member", client_=client)
    providers = client.get("/api/providers", headers=member.headers).json()
    assert [(p["id"], p["provider_type"]) for p in providers] == [("local", "local")]
    assert providers[0]["config"]["docker_host"] == engine_socket
    assert sync(admin, "local")["status"] == "succeeded"
    # owned by no one: visible to all, changeable by admins only
    assert client.put("/api/providers/local", json={"display_name": "x"}, headers=member.headers).status_code == 403
    events = client.get("/monitor/audit", params={"action": "provider.create"}, headers=admin.headers).json()
    assert events["events"][0]["actor"] == "system"


def test_restart_does_not_register_twice(make_client, engine_socket):
    make_client(auto_register_local=True, docker_host=engine_socket)
    second = make_client(auto_register_local=True, docker_host=engine_socket)
    from cloudfold.db.models import Account

    with second.app.state.runtime.sessions() as s:
        assert s.query(Account).filter_by(provider_type="local").count() == 1


def test_health_reports_the_engine(make_client, engine_socket):
    client = make_client(docker_host=engine_socket)
    ready = client.get("/health/ready")
    assert ready.status_code == 200 and ready.json()["checks"] == {"database": "CONNECTED", "docker": "CONNECTED"}
    node = client.get("/api/health")
    assert node.json()["proxmox_connected"] is True and node.json()["status"] == "healthy"
    assert node.headers["X-Cache-Status"] == "online"
