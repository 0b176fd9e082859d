"""Scopes (seed 000: read < write < admin), roles, and the ways to present a credential."""

from __future__ import annotations

import pytest

from cloudfold.db.models import User
from conftest import assert_error
from helpers_api import audit_page, bearer, create_key, db, key_headers, me


def test_viewer_cannot_create_keys(client, make_account):
    viewer = make_account("viewer")
    r = client.post("/auth/keys", json={"name": "nope"}, headers=viewer.headers)
    assert "write" in assert_error(r, 403, "FORBIDDEN")["message"]


def test_viewer_can_read(client, make_account):
    viewer = make_account("viewer")
    profile = me(client, viewer.headers)
    assert profile["role"] == "viewer" and profile["scopes"] == ["read"]
    assert client.get("/auth/keys", headers=viewer.headers).status_code == 200
    assert client.get("/monitor/audit", headers=viewer.headers).status_code == 200


@pytest.mark.parametrize("role,scopes", [
    ("viewer", ["read"]),
    ("member", ["read", "write"]),
    ("admin", ["admin", "read", "write"]),
])
def test_roles_grant_their_scopes(client, make_account, role, scopes):
    account = make_account(role)
    assert me(client, bearer(account.jwt()))["scopes"] == scopes
    assert create_key(client, account.headers, expect=403 if role == "viewer" else 201)


@pytest.mark.parametrize("transport", ["x-api-key", "bearer-key", "bearer-jwt"])
def test_every_credential_transport_is_accepted(client, member, transport):
    headers = {
        "x-api-key": lambda: key_headers(member.key),
        "bearer-key": lambda: bearer(member.key),
        "bearer-jwt": lambda: bearer(member.jwt()),
    }[transport]()
    assert me(client, headers)["email"] == member.email
    assert client.post("/auth/keys", json={"name": transport}, headers=headers).status_code == 201


@pytest.mark.parametrize("headers", [
    {},
    {"X-API-Key": ""},
    {"X-API-Key": "cfk_not-a-real-key"},
    {"X-API-Key": "plainly-wrong"},
    {"Authorization": "Bearer cfk_not-a-real-key"},
    {"Authorization": "Bearer not.a.jwt"},
    {"Authorization": "Bearer "},
    {"Authorization": "Basic dXNlcjpwYXNz"},
    {"Authorization": "cfk_without_scheme"},
], ids=["none", "empty-key", "unknown-key", "garbage-key", "bearer-unknown-key", "bearer-bad-jwt",
        "bearer-empty", "basic", "no-scheme"])
@pytest.mark.parametrize("path", ["/auth/keys", "/auth/me", "/monitor/audit"])
def test_missing_or_bad_credentials_are_401(client, headers, path):
    r = client.get(path, headers=headers)
    assert_error(r, 401, "UNAUTHORIZED")
    assert r.headers["www-authenticate"] == "Bearer"


def test_jwt_signed_with_another_secret_is_401(client, member):
    from cloudfold.security import jwt as jwt_tokens

    profile = me(client, member.headers)
    forged = jwt_tokens.issue("some-other-secret-" + "x" * 32, profile["uuid"], 0, 5)
    assert_error(client.get("/auth/me", headers=bearer(forged)), 401, "UNAUTHORIZED")


def test_key_without_scopes_cannot_read(client, member):
    empty = create_key(client, member.headers, scopes=[])
    assert empty["scopes"] == []
    r = client.get("/auth/keys", headers=key_headers(empty["key"]))
    assert "read" in assert_error(r, 403, "FORBIDDEN")["message"]


def test_key_scopes_shrink_with_the_owners_role(client, member):
    key = create_key(client, member.headers, scopes=["read", "write"])["key"]
    assert client.post("/auth/keys", json={"name": "ok"}, headers=key_headers(key)).status_code == 201
    with db(client) as session:
        session.query(User).filter(User.email == member.email).one().role = "viewer"
    assert_error(client.post("/auth/keys", json={"name": "no"}, headers=key_headers(key)), 403, "FORBIDDEN")
    assert client.get("/auth/keys", headers=key_headers(key)).status_code == 200


def test_admin_visibility_needs_the_admin_scope(client, admin, make_account):
    other = make_account("member")
    theirs = create_key(client, other.headers, name="theirs")
    target = f"apikey:{theirs['id']}"
    full = audit_page(client, admin.headers, action="apikey.create", limit=500)
    assert target in {e["target"] for e in full["events"]}
    read_only = key_headers(create_key(client, admin.headers, scopes=["read"])["key"])
    limited = audit_page(client, read_only, action="apikey.create", limit=500)
    assert target not in {e["target"] for e in limited["events"]}
    assert all(e["actor"].startswith(admin.email) for e in limited["events"])
