"""Seed 003: POST /auth/register, JSON POST /auth/login -> {user, api_key}, and the key in use."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from auth_support import (
    audit_rows,
    forgot,
    json_login,
    my_audit,
    parse_time,
    runtime_of,
    table_values,
    user_row,
)
from conftest import PASSWORD, assert_error, unique_email

from cloudfold.db.models import ApiKey


def register(client, email: str, password: str = PASSWORD, **extra):
    return client.post("/auth/register", json={"email": email, "password": password, **extra})


def registered(client, name: str | None = "Cloud User") -> tuple[str, str]:
    """Register a fresh account; return (email, user_id)."""
    email = unique_email("cloud")
    r = register(client, email, **({"name": name} if name is not None else {}))
    assert r.status_code == 201, r.text
    return email, r.json()["user_id"]


# --- register --------------------------------------------------------------------------------------------------------


def test_register_answers_message_and_uuid(client):
    r = register(client, "New.User@Example.com", name="New User")
    assert r.status_code == 201, r.text
    body = r.json()
    assert body == {"message": "user created successfully", "user_id": body["user_id"]}
    assert str(uuid.UUID(body["user_id"])) == body["user_id"]
    stored = user_row(client, "new.user@example.com")
    assert stored.uuid == body["user_id"] and stored.full_name == "New User"
    assert [e.target for e in audit_rows(client, "user.register", "success")] == [f"user:{body['user_id']}"]


def test_register_duplicate_does_not_confirm_the_address(client):
    """Seed 003 lists no 409: a taken address gets the answer of a new one, and nothing changes."""
    email, user_id = registered(client)
    fresh = register(client, unique_email("cloud"), password="another-passphrase")
    again = register(client, email.upper(), password="another-passphrase")
    assert again.status_code == fresh.status_code == 201, again.text
    assert again.json().keys() == fresh.json().keys() and again.json()["message"] == fresh.json()["message"]
    assert again.json()["user_id"] != user_id
    assert user_row(client, email).uuid == user_id
    assert json_login(client, email, "another-passphrase").status_code == 401  # the password did not change
    assert json_login(client, email, PASSWORD).status_code == 200
    # seed 002's signup answers with the user record, so there the conflict stays a 409
    assert_error(client.post("/auth/signup", json={"email": email, "password": PASSWORD}), 409, "CONFLICT")
    assert len(audit_rows(client, "user.register", "failed")) == 2


@pytest.mark.parametrize(
    "body, loc",
    [({"password": PASSWORD}, ["body", "email"]), ({"email": "a@example.com"}, ["body", "password"]),
     ({"email": "nope", "password": PASSWORD}, ["body", "email"]),
     ({"email": "a@example.com", "password": PASSWORD, "name": ["x"]}, ["body", "name"])],
    ids=["no-email", "no-password", "bad-email", "name-list"],
)
def test_register_validation_is_400(client, body, loc):
    detail = assert_error(client.post("/auth/register", json=body), 400, "BAD_REQUEST")["detail"]
    assert [d["loc"] for d in detail] == [loc]


def test_register_short_password_is_400(client):
    email = unique_email()
    assert_error(register(client, email, "seven77"), 400, "BAD_REQUEST")
    assert user_row(client, email) is None


# --- JSON login ------------------------------------------------------------------------------------------------------


def test_json_login_returns_user_and_api_key(client):
    email, user_id = registered(client)
    r = json_login(client, email.upper(), PASSWORD)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["user"] == {"id": user_id, "email": email, "name": "Cloud User"}
    key = body["api_key"]
    assert key.startswith("cfk_") and len(key) > 40
    assert set(body) == {"user", "api_key"}


def test_json_login_without_name_gives_null_name(client):
    email, _ = registered(client, name=None)
    assert json_login(client, email, PASSWORD).json()["user"]["name"] is None


def test_login_key_works_on_the_key_endpoints(client):
    email, user_id = registered(client)
    before = datetime.now(timezone.utc)
    key = json_login(client, email, PASSWORD).json()["api_key"]
    r = client.get("/auth/keys", headers={"X-API-Key": key})
    assert r.status_code == 200, r.text
    [listed] = r.json()
    assert listed["user_id"] == user_id and listed["name"] == "login"
    assert listed["prefix"] == key[:12] and "key" not in listed
    assert key not in r.text
    expires = parse_time(listed["expires_at"])  # login_key_ttl_days defaults to 30
    assert before + timedelta(days=30) - timedelta(minutes=1) <= expires <= before + timedelta(days=30, minutes=1)
    assert client.get("/auth/me", headers={"Authorization": f"Bearer {key}"}).json()["email"] == email


def test_every_json_login_issues_a_distinct_working_key(client):
    email, _ = registered(client)
    keys = {json_login(client, email, PASSWORD).json()["api_key"] for _ in range(3)}
    assert len(keys) == 3
    for key in keys:
        assert client.get("/auth/keys", headers={"X-API-Key": key}).status_code == 200
    with runtime_of(client).sessions() as session:
        kinds = [k.kind for k in session.query(ApiKey).all()]
    assert kinds == ["login"] * 3


def test_api_keys_are_stored_as_digests_only(client):
    email, _ = registered(client)
    key = json_login(client, email, PASSWORD).json()["api_key"]
    values = table_values(client, ApiKey)
    assert not any(key in v for v in values)
    assert hashlib.sha256(key.encode()).hexdigest() in values


def test_login_key_lifetime_follows_the_setting_and_expiry_is_enforced(make_client):
    client = make_client(login_key_ttl_days=2)
    email, _ = registered(client)
    key = json_login(client, email, PASSWORD).json()["api_key"]
    [listed] = client.get("/auth/keys", headers={"X-API-Key": key}).json()
    lifetime = parse_time(listed["expires_at"]) - parse_time(listed["created_at"])
    assert abs(lifetime - timedelta(days=2)) < timedelta(seconds=5)
    with runtime_of(client).sessions() as session:
        session.query(ApiKey).update({ApiKey.expires_at: datetime.now(timezone.utc) - timedelta(seconds=1)})
        session.commit()
    runtime_of(client).principals.clear()  # as the cache's TTL would, for a write behind the app's back
    assert_error(client.get("/auth/keys", headers={"X-API-Key": key}), 401, "UNAUTHORIZED")


def test_json_login_failures_are_401_alike_and_audited(client):
    email, _ = registered(client)
    ghost = unique_email("ghost")
    wrong = assert_error(json_login(client, email, "wrong-password!"), 401, "UNAUTHORIZED")
    unknown = assert_error(json_login(client, ghost, PASSWORD), 401, "UNAUTHORIZED")
    assert wrong["message"] == unknown["message"]
    failed = audit_rows(client, "auth.login", "failed")
    assert [(e.target, e.status_code) for e in failed] == [(email, 401), (ghost, 401)]
    assert table_values(client, ApiKey) == []  # no key handed out


def test_json_login_is_audited_for_the_user(client):
    email, _ = registered(client)
    key = json_login(client, email, PASSWORD).json()["api_key"]
    events = my_audit(client, {"X-API-Key": key}, action="apikey.login")
    assert len(events) == 1
    event = events[0]
    assert event["result"] == "success" and event["actor"] == email
    assert event["detail"]["name"] == "login" and event["target"].startswith("apikey:")


@pytest.mark.parametrize(
    "body, loc",
    [({"email": "a@example.com"}, ["body", "password"]), ({"password": PASSWORD}, ["body", "email"]),
     ({"email": "nope", "password": PASSWORD}, ["body", "email"]),
     ({"email": "a@example.com", "password": ""}, ["body", "password"]), ([], ["body"])],
    ids=["no-password", "no-email", "bad-email", "empty-password", "array"],
)
def test_json_login_validation_is_400(client, body, loc):
    detail = assert_error(client.post("/auth/login", json=body), 400, "BAD_REQUEST")["detail"]
    assert [d["loc"] for d in detail] == [loc]
    assert all(set(d) == {"loc", "msg", "type"} for d in detail)


@pytest.mark.parametrize(
    "content, ctype",
    [(b'{"email": "a@example.com"}', "text/plain"), (b"email=a", "application/xml"), (b"{}", None)],
    ids=["text-plain", "xml", "no-content-type"],
)
def test_login_with_an_unsupported_body_is_415(client, content, ctype):
    headers = {"content-type": ctype} if ctype else {}
    body = assert_error(client.post("/auth/login", content=content, headers=headers), 415, "BAD_REQUEST")
    assert "application/json" in body["message"]


@pytest.mark.parametrize("content", [b"{not json", b'{"email": "a@example.com",', b"\xff\xfe"])
def test_login_with_malformed_json_is_400(client, content):
    r = client.post("/auth/login", content=content, headers={"content-type": "application/json"})
    assert assert_error(r, 400, "BAD_REQUEST")["message"] == "Malformed JSON body"


def test_json_content_type_with_charset_is_accepted(client):
    email, _ = registered(client)
    r = client.post("/auth/login", content=f'{{"email": "{email}", "password": "{PASSWORD}"}}'.encode(),
                    headers={"content-type": "Application/JSON; charset=utf-8"})
    assert r.status_code == 200, r.text
    assert r.json()["api_key"].startswith("cfk_")


# --- seed 003's rate limit: 5 requests a minute on the auth endpoints --------------------------------------------


@pytest.mark.parametrize(
    "call",
    [lambda c: json_login(c, "nobody@example.com", PASSWORD), lambda c: forgot(c, "nobody@example.com"),
     lambda c: register(c, "x", PASSWORD)],
    ids=["login", "forgot-password", "register"],
)
def test_auth_endpoints_allow_five_a_minute(make_client, call):
    client = make_client(rate_limit_auth="5/minute")
    assert all(call(client).status_code != 429 for _ in range(5))
    r = call(client)
    assert_error(r, 429, "RATE_LIMITED")
    assert int(r.headers["retry-after"]) >= 1
    assert audit_rows(client, result="blocked")[-1].status_code == 429
