"""API keys (seed 003): create, list, revoke, rotate/regenerate, expiry, ownership, scopes, storage."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from cloudfold.db.models import ApiKey
from conftest import assert_error
from helpers_api import KEY_FIELDS, create_key, db, key_headers, list_keys, me

pytestmark = pytest.mark.database  # also run on PostgreSQL in CI


def parse_time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def works(client, key: str) -> bool:
    return client.get("/auth/keys", headers=key_headers(key)).status_code == 200


def test_create_returns_all_fields_and_the_secret_once(client, member):
    owner = me(client, member.headers)
    created = create_key(client, member.headers, name="ci deploy", scopes=["read"])
    assert set(created) == KEY_FIELDS
    assert created["key"].startswith("cfk_") and len(created["key"]) > 40
    assert created["prefix"] == created["key"][:12]
    assert created["user_id"] == owner["uuid"]
    assert created["name"] == "ci deploy" and created["scopes"] == ["read"]
    assert created["last_used"] is None and created["expires_at"] is None
    assert abs(parse_time(created["created_at"]) - datetime.now(timezone.utc)) < timedelta(minutes=1)

    r = client.get("/auth/keys", headers=member.headers)
    assert r.status_code == 200
    assert created["key"] not in r.text
    listed = {k["id"]: k for k in r.json()}
    assert set(listed[created["id"]]) == KEY_FIELDS - {"key"}
    assert listed[created["id"]]["prefix"] == created["prefix"]
    assert works(client, created["key"])


def test_default_scopes_are_the_owners(client, member, admin):
    assert create_key(client, member.headers)["scopes"] == ["read", "write"]
    assert create_key(client, admin.headers)["scopes"] == ["admin", "read", "write"]


def test_list_shows_only_the_callers_keys(client, member, make_account):
    other = make_account("member")
    mine = create_key(client, member.headers, name="mine")
    theirs = create_key(client, other.headers, name="theirs")
    my_ids = {k["id"] for k in list_keys(client, member.headers)}
    their_ids = {k["id"] for k in list_keys(client, other.headers)}
    assert mine["id"] in my_ids and theirs["id"] not in my_ids
    assert theirs["id"] in their_ids and mine["id"] not in their_ids


def test_revoke_stops_the_key(client, member):
    created = create_key(client, member.headers, name="short lived")
    assert works(client, created["key"])
    r = client.delete(f"/auth/keys/{created['id']}", headers=member.headers)
    assert r.status_code == 204 and r.content == b""
    body = assert_error(client.get("/auth/keys", headers=key_headers(created["key"])), 401, "UNAUTHORIZED")
    assert "revoked" in body["message"].lower()
    assert created["id"] not in {k["id"] for k in list_keys(client, member.headers)}
    assert_error(client.delete(f"/auth/keys/{created['id']}", headers=member.headers), 404, "NOT_FOUND")


def test_a_key_can_revoke_itself(client, member):
    created = create_key(client, member.headers)
    r = client.delete(f"/auth/keys/{created['id']}", headers=key_headers(created["key"]))
    assert r.status_code == 204
    assert not works(client, created["key"])


@pytest.mark.parametrize("action", ["rotate", "regenerate"])
def test_rotation_replaces_the_secret(client, member, action):
    old = create_key(client, member.headers, name="rotating", scopes=["read"], expires_in_days=10)
    r = client.post(f"/auth/keys/{old['id']}/{action}", headers=member.headers)
    assert r.status_code == 200, r.text
    new = r.json()
    assert set(new) == KEY_FIELDS
    assert new["id"] != old["id"] and new["key"] != old["key"] and new["key"].startswith("cfk_")
    assert new["name"] == "rotating" and new["scopes"] == ["read"]
    lifetime = parse_time(new["expires_at"]) - datetime.now(timezone.utc)
    assert timedelta(days=9, hours=23) < lifetime <= timedelta(days=10)

    assert works(client, new["key"])
    body = assert_error(client.get("/auth/keys", headers=key_headers(old["key"])), 401, "UNAUTHORIZED")
    assert "revoked" in body["message"].lower() and "rotated" in body["message"].lower()
    ids = {k["id"] for k in list_keys(client, member.headers)}
    assert new["id"] in ids and old["id"] not in ids
    assert_error(client.post(f"/auth/keys/{old['id']}/{action}", headers=member.headers), 404, "NOT_FOUND")


def test_expired_key_is_refused(client, member):
    created = create_key(client, member.headers, name="expiring", expires_in_days=1)
    lifetime = parse_time(created["expires_at"]) - datetime.now(timezone.utc)
    assert timedelta(hours=23) < lifetime <= timedelta(days=1)
    assert works(client, created["key"])
    with db(client) as session:
        session.get(ApiKey, created["id"]).expires_at = datetime.now(timezone.utc) - timedelta(seconds=5)
    body = assert_error(client.get("/auth/keys", headers=key_headers(created["key"])), 401, "UNAUTHORIZED")
    assert "expired" in body["message"].lower()


@pytest.mark.parametrize("method,suffix", [("DELETE", ""), ("POST", "/rotate"), ("POST", "/regenerate")])
def test_another_users_key_is_not_found(client, member, make_account, method, suffix):
    other = make_account("member")
    theirs = create_key(client, other.headers)
    r = client.request(method, f"/auth/keys/{theirs['id']}{suffix}", headers=member.headers)
    assert_error(r, 404, "NOT_FOUND")
    assert works(client, theirs["key"])
    assert theirs["id"] in {k["id"] for k in list_keys(client, other.headers)}


@pytest.mark.parametrize("method,suffix", [("DELETE", ""), ("POST", "/rotate"), ("POST", "/regenerate")])
@pytest.mark.parametrize("key_id", [str(uuid.uuid4()), "not-a-uuid"], ids=["unknown-uuid", "not-a-uuid"])
def test_unknown_key_id_is_not_found(client, member, method, suffix, key_id):
    assert_error(client.request(method, f"/auth/keys/{key_id}{suffix}", headers=member.headers), 404, "NOT_FOUND")


@pytest.mark.parametrize("payload", [
    {},
    {"name": ""},
    {"name": "x" * 201},
    {"name": 123},
    {"name": ["a"]},
    {"name": "k", "scopes": "read"},
    {"name": "k", "scopes": ["root"]},
    {"name": "k", "expires_in_days": 0},
    {"name": "k", "expires_in_days": 3651},
    {"name": "k", "expires_in_days": "soon"},
    [{"name": "k"}],
])
def test_invalid_create_body_is_400(client, member, payload):
    before = len(list_keys(client, member.headers))
    body = assert_error(client.post("/auth/keys", json=payload, headers=member.headers), 400, "BAD_REQUEST")
    assert isinstance(body["detail"], list) and body["detail"]
    assert all({"loc", "msg", "type"} <= set(e) for e in body["detail"])
    assert len(list_keys(client, member.headers)) == before


@pytest.mark.parametrize("role,asked,missing", [
    ("viewer", ["write"], "write"),
    ("viewer", ["read"], "write"),
    ("member", ["admin"], "admin"),
    ("member", ["read", "admin"], "admin"),
])
def test_scopes_wider_than_the_owner_are_forbidden(client, make_account, role, asked, missing):
    account = make_account(role)
    before = len(list_keys(client, account.headers))
    r = client.post("/auth/keys", json={"name": "wide", "scopes": asked}, headers=account.headers)
    assert missing in assert_error(r, 403, "FORBIDDEN")["message"]
    assert len(list_keys(client, account.headers)) == before


def test_a_key_cannot_mint_a_wider_key(client, member):
    write_only = create_key(client, member.headers, scopes=["write"])["key"]
    r = client.post("/auth/keys", json={"name": "wider", "scopes": ["read"]}, headers=key_headers(write_only))
    assert "read" in assert_error(r, 403, "FORBIDDEN")["message"]
    r = client.post("/auth/keys", json={"name": "default scopes"}, headers=key_headers(write_only))
    assert r.status_code == 201 and r.json()["scopes"] == ["write"]


def test_read_only_key_lists_but_cannot_change_keys(client, member):
    target = create_key(client, member.headers, name="target")
    read_only = key_headers(create_key(client, member.headers, scopes=["read"])["key"])
    assert target["id"] in {k["id"] for k in list_keys(client, read_only)}
    for method, path in [("POST", "/auth/keys"), ("DELETE", f"/auth/keys/{target['id']}"),
                         ("POST", f"/auth/keys/{target['id']}/rotate")]:
        r = client.request(method, path, json={"name": "nope"} if path == "/auth/keys" else None, headers=read_only)
        assert "write" in assert_error(r, 403, "FORBIDDEN")["message"]
    assert works(client, target["key"])


def test_last_used_is_recorded(client, member):
    created = create_key(client, member.headers, name="tracked")
    untouched = next(k for k in list_keys(client, member.headers) if k["id"] == created["id"])
    assert untouched["last_used"] is None
    assert works(client, created["key"])
    used = next(k for k in list_keys(client, member.headers) if k["id"] == created["id"])
    assert used["last_used"] is not None
    assert abs(parse_time(used["last_used"]) - datetime.now(timezone.utc)) < timedelta(minutes=1)


def test_database_holds_only_digests(client, member):
    created = create_key(client, member.headers, name="stored")
    secrets = [created["key"], member.key]
    table = ApiKey.__table__
    with db(client) as session:
        rows = [dict(r) for r in session.execute(select(table)).mappings()]
    assert len(rows) >= 2
    by_id = {row["id"]: row for row in rows}
    assert by_id[created["id"]]["key_hash"] == hashlib.sha256(created["key"].encode()).hexdigest()
    hashes = {row["key_hash"] for row in rows}
    assert hashlib.sha256(member.key.encode()).hexdigest() in hashes
    for row in rows:
        for value in row.values():
            assert not any(secret in str(value) for secret in secrets), row


def test_the_listing_is_byte_identical_to_its_documented_model(client, member):
    """`GET /auth/keys` serialises rows itself (the read path's yardstick): the bytes are what
    the documented response model would write for the same keys, never-used and expiring ones
    included."""
    from pydantic import TypeAdapter

    from cloudfold.api.faces.auth_schemas import KeyOut

    for days in (None, 7):
        assert client.post("/auth/keys", json={"name": f"k{days}", "expires_in_days": days},
                           headers=member.headers).status_code == 201
    r = client.get("/auth/keys", headers=member.headers)
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    model = TypeAdapter(list[KeyOut])
    keys = model.validate_json(r.content)
    assert len(keys) >= 3 and any(k.expires_at is not None for k in keys) and any(k.last_used is None for k in keys)
    assert r.content == model.dump_json(keys)
