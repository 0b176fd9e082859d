"""Cloud accounts through seed 001 (/api/providers) and seed 002 (/credentials/):
one model, validated and encrypted credentials, ownership, and bad input."""

from __future__ import annotations

import json

from sqlalchemy import text

from conftest import assert_error
import pytest

pytestmark = pytest.mark.database  # also run on PostgreSQL in CI

AWS = {"access_key": "AKIAIOSFODNN7EXAMPLE", "secret_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}


def test_seed_002_credentials_are_the_same_accounts_as_seed_001_providers(client, member):
    body = {"provider": "aws", "name": "AWS Production Account", "region": "us-east-1", **AWS}
    r = client.post("/credentials/", json=body, headers=member.headers)
    assert r.status_code == 201, r.text
    cred = r.json()
    assert set(cred) == {"id", "provider", "name", "region", "is_active", "created_at"}
    assert isinstance(cred["id"], int) and cred["is_active"] is True
    listed = client.get("/credentials/", headers=member.headers).json()
    assert [c["name"] for c in listed] == ["AWS Production Account"]
    providers = client.get("/api/providers", headers=member.headers).json()
    assert providers[0]["provider_type"] == "aws" and providers[0]["has_credentials"] is True
    assert AWS["secret_key"] not in json.dumps(providers) + json.dumps(listed)
    assert client.delete(f"/credentials/{cred['id']}", headers=member.headers).status_code == 204
    assert client.get("/api/providers", headers=member.headers).json() == []


def test_azure_and_gcp_bodies_are_validated(client, member):
    h = member.headers
    azure = {"provider": "azure", "name": "Azure", "tenant_id": "t", "client_id": "c", "client_secret": "s",
             "subscription_id": "sub"}
    assert client.post("/credentials/", json=azure, headers=h).status_code == 201
    missing = {k: v for k, v in azure.items() if k != "client_secret"}
    assert "client_secret" in assert_error(client.post("/credentials/", json=missing, headers=h), 400, "BAD_REQUEST")["message"]
    gcp = {"provider": "gcp", "name": "GCP", "project_id": "p", "service_account_json": "not json"}
    assert_error(client.post("/credentials/", json=gcp, headers=h), 400, "BAD_REQUEST")
    gcp["service_account_json"] = json.dumps({"type": "service_account", "project_id": "p"})
    assert client.post("/credentials/", json=gcp, headers=h).status_code == 201


def test_provider_crud_and_bad_input(client, admin):
    h = admin.headers
    body = {"id": "my-oci", "provider_type": "oci", "display_name": "My OCI Account", "region": "us-ashburn-1",
            "credentials": {"user": "u", "tenancy": "t", "fingerprint": "f", "key_content": "k"}}
    r = client.post("/api/providers", json=body, headers=h)
    assert r.status_code == 201 and r.json()["id"] == "my-oci" and r.json()["region"] == "us-ashburn-1"
    assert_error(client.post("/api/providers", json=body, headers=h), 409, "CONFLICT")
    assert_error(client.post("/api/providers", json={**body, "id": "x", "provider_type": "digitalocean"}, headers=h),
                 400, "BAD_REQUEST")
    assert_error(client.post("/api/providers", json={**body, "id": "bad id!"}, headers=h), 400, "BAD_REQUEST")
    assert_error(client.post("/api/providers", json={"provider_type": "aws"}, headers=h), 422, "BAD_REQUEST")
    assert_error(client.post("/api/providers", json={**body, "id": "y", "credentials": "nope"}, headers=h), 422, "BAD_REQUEST")
    assert_error(client.post("/api/providers", json={**body, "id": "z", "credentials": {"user": "u"}}, headers=h),
                 400, "BAD_REQUEST")
    assert_error(client.post("/api/providers", json={"id": "l", "provider_type": "local", "display_name": "L",
                                                     "config": {"docker_host": "ftp://x"}}, headers=h), 400, "BAD_REQUEST")

    r = client.put("/api/providers/my-oci", json={"display_name": "Renamed", "is_active": False}, headers=h)
    assert r.status_code == 200 and r.json()["display_name"] == "Renamed" and r.json()["is_active"] is False
    assert_error(client.put("/api/providers/nope", json={"display_name": "x"}, headers=h), 404, "NOT_FOUND")
    assert_error(client.get("/api/providers/nope", headers=h), 404, "NOT_FOUND")
    assert client.delete("/api/providers/my-oci", headers=h).status_code == 204
    assert_error(client.delete("/api/providers/my-oci", headers=h), 404, "NOT_FOUND")
    actions = [e["action"] for e in client.get("/monitor/audit", headers=h).json()["events"]]
    assert {"provider.create", "provider.update", "provider.delete"} <= set(actions)


def test_credentials_path_is_confined_to_the_credentials_dir(make_client, make_account, tmp_path):
    creds_dir = tmp_path / "creds"
    (creds_dir / "local" / "config").mkdir(parents=True)
    (creds_dir / "local" / "config" / "oci.ini").write_text("[DEFAULT]\nuser=u\ntenancy=t\n")
    (tmp_path / "outside.ini").write_text("[DEFAULT]\nuser=u\n")
    client = make_client(credentials_dir=creds_dir)
    admin = make_account("admin", client_=client)
    body = {"id": "my-oci", "provider_type": "oci", "display_name": "My OCI Account", "region": "us-ashburn-1",
            "credentials_path": "local/config/oci.ini"}
    r = client.post("/api/providers", json=body, headers=admin.headers)
    assert r.status_code == 201 and r.json()["credentials_path"] == "local/config/oci.ini", r.text
    for bad in ("../outside.ini", "/etc/passwd", "local/config/missing.ini"):
        assert_error(client.post("/api/providers", json={**body, "id": "o2", "credentials_path": bad},
                                 headers=admin.headers), 400, "BAD_REQUEST")


def test_accounts_are_private_to_their_owner(client, member, make_account, admin):
    other = make_account("member")
    r = client.post("/credentials/", json={"provider": "aws", "name": "mine", **AWS}, headers=member.headers)
    cid = r.json()["id"]
    assert client.get("/credentials/", headers=other.headers).json() == []
    assert_error(client.delete(f"/credentials/{cid}", headers=other.headers), 404, "NOT_FOUND")
    assert_error(client.get(f"/api/providers/{cid}", headers=other.headers), 404, "NOT_FOUND")
    assert len(client.get("/credentials/", headers=admin.headers).json()) == 1
    viewer = make_account("viewer")
    assert_error(client.post("/credentials/", json={"provider": "aws", "name": "v", **AWS}, headers=viewer.headers),
                 403, "FORBIDDEN")
    assert_error(client.get("/credentials/"), 401, "UNAUTHORIZED")


def test_no_credential_is_stored_in_plain_text(client, member, runtime, database_url):
    secret = "S3CRET-" + "x" * 30
    client.post("/credentials/", json={"provider": "aws", "name": "a", "access_key": "AKIA1", "secret_key": secret},
                headers=member.headers)
    with runtime.engine.connect() as conn:
        dump = repr(conn.execute(text("SELECT * FROM accounts")).all()) + repr(conn.execute(text("SELECT * FROM audit_events")).all())
    assert secret not in dump and "AKIA1" not in dump
    if database_url.startswith("sqlite"):
        path = database_url.removeprefix("sqlite:///")
        raw = b"".join(open(p, "rb").read() for p in (path, path + "-wal") if __import__("os").path.exists(p))
        assert secret.encode() not in raw


def test_settings_list_get_put(client, admin, member):
    listed = {s["key"]: s for s in client.get("/api/settings", headers=member.headers).json()}
    assert listed["spending_sync_interval"]["value"] == 300 and listed["budget_enforce_interval"]["default"] == 600
    assert listed["health_check_interval"]["is_default"] is True
    r = client.put("/api/settings/health_check_interval", json={"value": 60}, headers=admin.headers)
    assert r.status_code == 200 and r.json()["value"] == 60 and r.json()["is_default"] is False
    assert client.get("/api/settings/health_check_interval", headers=member.headers).json()["value"] == 60
    assert_error(client.put("/api/settings/health_check_interval", json={"value": 60}, headers=member.headers),
                 403, "FORBIDDEN")
    assert_error(client.put("/api/settings/health_check_interval", json={"value": "soon"}, headers=admin.headers),
                 400, "BAD_REQUEST")
    assert_error(client.put("/api/settings/health_check_interval", json={"value": 1}, headers=admin.headers),
                 400, "BAD_REQUEST")
    assert_error(client.put("/api/settings/health_check_interval", json={}, headers=admin.headers), 422, "BAD_REQUEST")
    assert_error(client.get("/api/settings/nope", headers=admin.headers), 404, "NOT_FOUND")
