"""cloudfold's quota API and the account quota: defaults from code, settings, admins and
per-user overrides; who may read and change them; bad input changes nothing; changes are
audited. The local cloud's quotas are in test_quotas_localcloud.py."""

from __future__ import annotations

import pydantic
import pytest

from conftest import assert_error
from helpers_api import audit_page

from cloudfold.settings import Settings

pytestmark = pytest.mark.database  # also run on PostgreSQL in CI

NAMES = {"vpcs", "subnets", "instances", "vcpus", "memory_mb", "volumes", "volume_gb", "host_ports", "accounts",
         "alert_rules", "monitors", "budget_rules", "autoscaling_groups", "load_balancers", "routes", "caches"}
OCI = {"provider_type": "oci", "display_name": "OCI", "region": "us-ashburn-1",
       "credentials": {"user": "u", "tenancy": "t", "fingerprint": "f", "key_content": "k"}}


def user_id(account) -> int:
    return account.client.get("/api/quotas/me", headers=account.headers).json()["user_id"]


def test_defaults_from_code_settings_and_admins(make_client, make_account):
    client = make_client(quota_defaults={"vpcs": 2, "gateways": 3})  # a quota a later release adds: ignored
    admin, member = make_account("admin", client), make_account("member", client)
    quotas = client.get("/api/quotas", headers=admin.headers).json()["quotas"]
    assert set(quotas) == NAMES
    assert quotas["vpcs"] == {**quotas["vpcs"], "limit": 2, "source": "settings"}
    assert quotas["instances"] == {**quotas["instances"], "limit": 10, "source": "built-in"}
    assert quotas["host_ports"]["limit"] == 10 and quotas["accounts"]["limit"] == 5

    r = client.put("/api/quotas", json={"vpcs": 3, "instances": 0}, headers=admin.headers)
    assert r.status_code == 200, r.text
    assert r.json()["quotas"]["vpcs"] == {**quotas["vpcs"], "limit": 3, "source": "admin"}
    mine = client.get("/api/quotas/me", headers=member.headers).json()
    assert mine["enforced"] is True and mine["user_id"] == user_id(member)
    assert mine["quotas"]["vpcs"] == {**mine["quotas"]["vpcs"], "limit": 3, "used": 0, "source": "admin"}
    assert mine["quotas"]["instances"]["limit"] == 0
    # null clears an admin default: the setting applies again
    r = client.put("/api/quotas", json={"vpcs": None}, headers=admin.headers)
    assert r.json()["quotas"]["vpcs"] == {**quotas["vpcs"], "limit": 2, "source": "settings"}
    changes = [e for e in audit_page(client, admin.headers, action="quota.defaults.update")["events"]]
    assert len(changes) == 2 and all(e["actor"].startswith(admin.email) for e in changes)
    # admins are not limited, and are told so
    assert client.get("/api/quotas/me", headers=admin.headers).json()["enforced"] is False


def test_overrides_apply_to_one_user(client, admin, make_account):
    first, second = make_account("member"), make_account("member")
    path = f"/api/users/{user_id(first)}/quotas"
    r = client.put(path, json={"accounts": 7, "volume_gb": 500}, headers=admin.headers)
    assert r.status_code == 200, r.text
    assert r.json()["quotas"]["accounts"] == {**r.json()["quotas"]["accounts"], "limit": 7, "source": "user"}
    assert client.get("/api/quotas/me", headers=first.headers).json()["quotas"]["volume_gb"]["limit"] == 500
    assert client.get("/api/quotas/me", headers=second.headers).json()["quotas"]["volume_gb"]["limit"] == 100
    # the user themselves may read theirs; null clears an override
    assert client.get(path, headers=first.headers).json()["quotas"]["accounts"]["limit"] == 7
    r = client.put(path, json={"accounts": None}, headers=admin.headers)
    assert r.json()["quotas"]["accounts"]["source"] == "built-in" and r.json()["quotas"]["accounts"]["limit"] == 5
    events = audit_page(client, admin.headers, action="quota.user.update")["events"]
    assert [e["target"] for e in events] == [f"user:{user_id(first)}"] * 2


def test_who_may_read_and_change_quotas(client, admin, make_account):
    first, second = make_account("member"), make_account("member")
    theirs = f"/api/users/{user_id(first)}/quotas"
    assert_error(client.get("/api/quotas", headers=first.headers), 403, "FORBIDDEN")
    assert_error(client.put("/api/quotas", json={"vpcs": 50}, headers=first.headers), 403, "FORBIDDEN")
    # another member's quotas: the same 404 as an id that does not exist
    missing = assert_error(client.get("/api/users/999999/quotas", headers=second.headers), 404, "NOT_FOUND")
    other = assert_error(client.get(theirs, headers=second.headers), 404, "NOT_FOUND")
    assert other["message"] == missing["message"] and first.email not in str(other)
    assert_error(client.put(theirs, json={"vpcs": 50}, headers=second.headers), 403, "FORBIDDEN")
    assert_error(client.put(f"/api/users/{user_id(second)}/quotas", json={"vpcs": 50}, headers=second.headers),
                 403, "FORBIDDEN")
    assert_error(client.get("/api/quotas/me"), 401, "UNAUTHORIZED")
    assert_error(client.put("/api/users/999999/quotas", json={"vpcs": 1}, headers=admin.headers), 404, "NOT_FOUND")
    assert_error(client.get("/api/users/abc/quotas", headers=admin.headers), 422, "BAD_REQUEST")
    for huge in (0, -1, 2**63):
        assert_error(client.get(f"/api/users/{huge}/quotas", headers=admin.headers), 404, "NOT_FOUND")
        assert_error(client.put(f"/api/users/{huge}/quotas", json={"vpcs": 1}, headers=admin.headers), 404, "NOT_FOUND")
    # nothing changed
    assert client.get("/api/quotas/me", headers=first.headers).json()["quotas"]["vpcs"]["limit"] == 5
    assert client.get("/api/quotas", headers=admin.headers).json()["quotas"]["vpcs"]["source"] == "built-in"


@pytest.mark.parametrize("body", [{"nope": 1}, {"vpcs": -1}, {"vpcs": "5"}, {"vpcs": 1.5}, {"vpcs": True},
                                  {"vpcs": 10**10}, {}, {"vpcs": 1, "bogus": 2}])
def test_bad_limits_change_nothing(client, admin, member, body):
    for path in ("/api/quotas", f"/api/users/{user_id(member)}/quotas"):
        assert_error(client.put(path, json=body, headers=admin.headers), 400, "BAD_REQUEST")
    assert client.get("/api/quotas/me", headers=member.headers).json()["quotas"]["vpcs"] == {
        "limit": 5, "used": 0, "source": "built-in", "description": "VPCs (local cloud)"}
    assert audit_page(client, admin.headers, action="quota.defaults.update")["total"] == 0


def test_not_an_object_is_422(client, admin):
    assert_error(client.put("/api/quotas", json=[1, 2], headers=admin.headers), 422, "BAD_REQUEST")
    assert_error(client.put("/api/quotas", content=b"{", headers={**admin.headers, "Content-Type": "application/json"}),
                 400, "BAD_REQUEST")


def test_account_quota(client, admin, member, make_account):
    client.put(f"/api/users/{user_id(member)}/quotas", json={"accounts": 2}, headers=admin.headers)
    for n in range(2):
        r = client.post("/api/providers", json={**OCI, "id": f"oci-{n}-{user_id(member)}"}, headers=member.headers)
        assert r.status_code == 201, r.text
    body = assert_error(client.post("/api/providers", json={**OCI, "id": "one-too-many"}, headers=member.headers),
                        403, "FORBIDDEN")
    assert body["detail"] == {"quota": "accounts", "limit": 2, "used": 2, "requested": 1}
    assert "accounts" in body["message"]
    # the seed 002 face counts against the same quota
    oci = {"provider": "oci", "name": "x", "user": "u", "tenancy": "t", "fingerprint": "f", "key_content": "k",
           "region": "us-ashburn-1"}
    assert_error(client.post("/credentials/", json=oci, headers=member.headers), 403, "FORBIDDEN")
    listed = client.get("/api/providers", headers=member.headers).json()
    assert sorted(p["id"] for p in listed if p["provider_type"] == "oci") == [f"oci-{n}-{user_id(member)}"
                                                                               for n in range(2)]
    assert client.get("/api/quotas/me", headers=member.headers).json()["quotas"]["accounts"]["used"] == 2
    # another member counts their own; admins are not limited
    other = make_account("member")
    assert client.post("/api/providers", json={**OCI, "id": "theirs"}, headers=other.headers).status_code == 201
    client.put("/api/quotas", json={"accounts": 0}, headers=admin.headers)
    assert client.post("/api/providers", json={**OCI, "id": "admins"}, headers=admin.headers).status_code == 201
    assert_error(client.post("/api/providers", json={**OCI, "id": "now-none"}, headers=other.headers), 403, "FORBIDDEN")


@pytest.mark.parametrize("values", [{"local_vpc_pool": "127.0.0.0/16"}, {"local_vpc_pool": "169.254.0.0/16"},
                                    {"local_vpc_pool": "8.8.0.0/16"}, {"local_vpc_pool": "100.64.0.0/16"},
                                    {"publish_port_range": "30000-20000"}, {"publish_port_range": "1-70000"},
                                    {"publish_port_range": "80"}, {"quota_defaults": {"vpcs": -1}}])
def test_settings_are_checked(tmp_path, values):
    with pytest.raises(pydantic.ValidationError):
        Settings(data_dir=tmp_path, **values)


def test_quota_defaults_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("CLOUDFOLD_QUOTA_DEFAULTS", '{"vpcs": 3, "host_ports": 0}')
    monkeypatch.setenv("CLOUDFOLD_PUBLISH_PORT_RANGE", "30000-30099")
    settings = Settings(data_dir=tmp_path)
    assert settings.quota_defaults == {"vpcs": 3, "host_ports": 0}
    assert settings.publish_ports == range(30000, 30100)


def test_quota_cli(tmp_path, database_url):
    import json
    import os

    from serve_process import run_cli

    env = {k: v for k, v in os.environ.items() if not k.startswith("CLOUDFOLD_")}
    env.update(CLOUDFOLD_DATA_DIR=str(tmp_path / "cfdata"), CLOUDFOLD_DATABASE_URL=database_url,
               CLOUDFOLD_QUOTA_DEFAULTS='{"subnets": 4}')
    run_cli(env, "user", "create", "dev@example.com", "--password", "s3cret-pass")
    shown = json.loads(run_cli(env, "quota", "show").stdout)["quotas"]
    assert shown["subnets"]["limit"] == 4 and shown["subnets"]["source"] == "settings"
    assert shown["alert_rules"]["limit"] == 20  # every capability's quota, though the CLI builds no app
    assert json.loads(run_cli(env, "quota", "set", "vpcs=2").stdout)["quotas"]["vpcs"]["source"] == "admin"
    mine = json.loads(run_cli(env, "quota", "set", "instances=1", "vpcs=none", "--user", "dev@example.com").stdout)
    assert mine["enforced"] is True and mine["quotas"]["instances"] == {**mine["quotas"]["instances"], "limit": 1,
                                                                        "used": 0, "source": "user"}
    assert mine["quotas"]["vpcs"]["limit"] == 2
    for bad in (["set", "nope=1"], ["set", "vpcs=-1"], ["set", "vpcs"], ["set", "vpcs=x"],
                ["show", "--user", "nobody@example.com"]):
        proc = run_cli(env, "quota", *bad, ok=False)
        assert proc.returncode == 1 and proc.stderr.startswith("error:"), proc


def test_a_capability_adds_a_quota_with_one_registration(client, admin, member):
    from cloudfold.domain import quotas

    quotas.register("widgets", 4, "Widgets (a later capability)")(lambda session, user_id: 3)
    try:
        assert client.get("/api/quotas", headers=admin.headers).json()["quotas"]["widgets"] == {
            "limit": 4, "source": "built-in", "description": "Widgets (a later capability)"}
        assert client.put("/api/quotas", json={"widgets": 2}, headers=admin.headers).status_code == 200
        mine = client.get("/api/quotas/me", headers=member.headers).json()["quotas"]["widgets"]
        assert mine == {**mine, "limit": 2, "used": 3, "source": "admin"}
        with pytest.raises(ValueError):
            quotas.register("widgets", 1, "twice")(lambda session, user_id: 0)
    finally:
        del quotas.REGISTRY["widgets"]
