"""Seed 002: POST /auth/signup, form POST /auth/login -> JWT, GET /auth/me."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime, timedelta, timezone

import jwt as pyjwt
import pytest
from auth_support import (
    audit_rows,
    bearer,
    form_login,
    my_audit,
    parse_time,
    runtime_of,
    table_values,
    update_user,
    user_row,
)
from conftest import PASSWORD, assert_error, unique_email

from cloudfold.db.models import AuditEvent, User
from cloudfold.security import jwt as jwt_tokens


def signup(client, email: str, password: str = PASSWORD, **extra):
    return client.post("/auth/signup", json={"email": email, "password": password, **extra})


# --- signup ----------------------------------------------------------------------------------------------------------


def test_signup_returns_the_new_user(client):
    before = datetime.now(timezone.utc)
    r = signup(client, "Jane.Doe@Example.COM", full_name="Jane Doe")
    assert r.status_code == 201, r.text
    body = r.json()
    assert isinstance(body["id"], int) and not isinstance(body["id"], bool)
    assert body["email"] == "jane.doe@example.com"
    assert body["full_name"] == "Jane Doe"
    created = parse_time(body["created_at"])
    assert before - timedelta(seconds=5) <= created <= datetime.now(timezone.utc) + timedelta(seconds=5)
    assert "password" not in r.text and PASSWORD not in r.text
    stored = user_row(client, "jane.doe@example.com")
    assert stored.id == body["id"] and stored.password_hash != PASSWORD
    assert stored.password_hash.startswith("$argon2")

    events = audit_rows(client, "user.register", "success")
    assert [e.target for e in events] == [f"user:{stored.uuid}"]


def test_signup_ids_are_distinct_and_full_name_optional(client):
    first = signup(client, unique_email()).json()
    second = signup(client, unique_email()).json()
    assert second["id"] != first["id"]
    assert first["full_name"] is None


@pytest.mark.parametrize("variant", [str.lower, str.upper, str.title], ids=["same", "upper", "title"])
def test_signup_duplicate_email_is_a_conflict_whatever_the_case(client, variant):
    email = unique_email("dup")
    assert signup(client, email).status_code == 201
    again = variant(email)
    assert_error(signup(client, again), 409, "CONFLICT")
    with runtime_of(client).sessions() as session:
        assert session.query(User).filter(User.email == email).count() == 1
    failed = audit_rows(client, "user.register", "failed")
    assert len(failed) == 1 and failed[0].status_code == 409 and failed[0].target == email


@pytest.mark.parametrize(
    "body, expected",
    [
        ({"password": PASSWORD}, [(["body", "email"], "missing")]),
        ({"email": "a@example.com"}, [(["body", "password"], "missing")]),
        ({}, [(["body", "email"], "missing"), (["body", "password"], "missing")]),
        ({"email": 5, "password": PASSWORD}, [(["body", "email"], "string_type")]),
        ({"email": "a@example.com", "password": ["x"]}, [(["body", "password"], "string_type")]),
        ({"email": "a@example.com", "password": PASSWORD, "full_name": 7}, [(["body", "full_name"], "string_type")]),
        ({"email": "not-an-email", "password": PASSWORD}, [(["body", "email"], "value_error")]),
        ({"email": "a@example.com", "password": ""}, [(["body", "password"], "string_too_short")]),
        ([1, 2], [(["body"], "model_attributes_type")]),
    ],
    ids=["no-email", "no-password", "empty", "email-int", "password-list", "name-int", "bad-email",
         "empty-password", "not-an-object"],
)
def test_signup_validation_errors_list_each_field(client, body, expected):
    detail = assert_error(client.post("/auth/signup", json=body), 422, "BAD_REQUEST")["detail"]
    assert isinstance(detail, list)
    for item in detail:
        assert set(item) == {"loc", "msg", "type"} and isinstance(item["msg"], str) and item["msg"]
    assert [(d["loc"], d["type"]) for d in detail] == expected
    assert audit_rows(client, "user.register") == []


def test_signup_without_body_is_422(client):
    r = client.post("/auth/signup", content=b"", headers={"content-type": "application/json"})
    assert assert_error(r, 422, "BAD_REQUEST")["detail"][0]["loc"] == ["body"]


@pytest.mark.parametrize("password", ["short", "1234567"])
def test_signup_short_password_is_400_and_creates_nothing(client, password):
    email = unique_email()
    body = assert_error(signup(client, email, password), 400, "BAD_REQUEST")
    assert "8" in body["message"]
    assert user_row(client, email) is None


# --- form login ------------------------------------------------------------------------------------------------------


def test_form_login_returns_a_bearer_jwt_for_the_user(client, member):
    r = form_login(client, member.email.upper(), member.password)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 3600
    claims = pyjwt.decode(body["access_token"], runtime_of(client).jwt_secret, algorithms=["HS256"])
    assert claims["sub"] == user_row(client, member.email).uuid
    assert claims["exp"] - claims["iat"] == 3600

    events = my_audit(client, bearer(body["access_token"]), action="auth.login")
    assert events and events[0]["result"] == "success" and events[0]["actor"] == member.email
    assert events[0]["detail"] == {"method": "password", "token": "jwt"}


def test_multipart_form_login_works_too(client, member):
    r = client.post("/auth/login", data={"username": member.email, "password": member.password},
                    files={"unused": ("x.txt", b"x")})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json") and r.json()["token_type"] == "bearer"
    assert client.get("/auth/me", headers=bearer(r.json()["access_token"])).status_code == 200


def test_jwt_lifetime_follows_the_setting(make_client, make_account):
    client = make_client(jwt_ttl_minutes=5)
    account = make_account(client_=client)
    body = form_login(client, account.email, account.password).json()
    claims = pyjwt.decode(body["access_token"], runtime_of(client).jwt_secret, algorithms=["HS256"])
    assert body["expires_in"] == 300 and claims["exp"] - claims["iat"] == 300


def test_wrong_password_and_unknown_user_look_the_same(client, member):
    ghost = unique_email("ghost")
    wrong = form_login(client, member.email, "not-the-password")
    unknown = form_login(client, ghost.upper(), member.password)
    for r in (wrong, unknown):
        assert_error(r, 401, "UNAUTHORIZED")
        assert r.headers["www-authenticate"] == "Bearer"
    assert wrong.json()["message"] == unknown.json()["message"] == "Incorrect email or password"

    failed = audit_rows(client, "auth.login", "failed")
    seen = [(e.target, e.actor, e.status_code) for e in failed]
    assert seen == [(member.email, member.email, 401), (ghost, ghost, 401)]
    assert not any("not-the-password" in v for v in table_values(client, AuditEvent))


@pytest.mark.parametrize(
    "form, missing",
    [({"username": "a@example.com"}, ["password"]), ({"password": PASSWORD}, ["username"]),
     ({}, ["username", "password"]), ({"username": "", "password": PASSWORD}, ["username"])],
)
def test_form_login_missing_field_is_422(client, form, missing):
    r = client.post("/auth/login", data=form, headers={"content-type": "application/x-www-form-urlencoded"})
    detail = assert_error(r, 422, "BAD_REQUEST")["detail"]
    assert [d["loc"] for d in detail] == [["body", f] for f in missing]
    assert all(d["type"] == "missing" for d in detail)


# --- /auth/me ----------------------------------------------------------------------------------------------------


def test_me_with_jwt_or_api_key(client, member):
    token = member.jwt()
    expected = user_row(client, member.email)
    for headers in (bearer(token), bearer(member.key), {"X-API-Key": member.key}):
        r = client.get("/auth/me", headers=headers)
        assert r.status_code == 200, r.text
        body = r.json()
        assert (body["id"], body["email"], body["full_name"]) == (expected.id, member.email, "Test User")
        assert parse_time(body["created_at"]) == expected.created_at


def _swap_payload(token: str, **changes) -> str:
    head, payload, sig = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(changes)
    raw = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{head}.{raw}.{sig}"


def _claims(user_uuid: str, **changes) -> dict:
    now = datetime.now(timezone.utc)
    claims = {"sub": user_uuid, "tv": 0, "iat": now, "exp": now + timedelta(minutes=5), "typ": "access"}
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


FORGED = {
    "garbage": lambda secret, sub, good, other: "not-a-jwt",
    "empty-segments": lambda secret, sub, good, other: "..",
    "tampered-subject": lambda secret, sub, good, other: _swap_payload(good, sub=other),
    "tampered-version": lambda secret, sub, good, other: _swap_payload(good, tv=1),
    "other-secret": lambda secret, sub, good, other: pyjwt.encode(_claims(sub), "some-other-secret-value!!!!!!!!!"),
    "alg-none": lambda secret, sub, good, other: pyjwt.encode(_claims(sub), None, algorithm="none"),
    "hs512": lambda secret, sub, good, other: pyjwt.encode(_claims(sub), secret, algorithm="HS512"),
    "expired": lambda secret, sub, good, other: jwt_tokens.issue(secret, sub, 0, -1),
    "expired-forged": lambda secret, sub, good, other: pyjwt.encode(
        _claims(sub, exp=datetime.now(timezone.utc) - timedelta(seconds=30)), secret),
    "no-exp": lambda secret, sub, good, other: pyjwt.encode(_claims(sub, exp=None), secret),
    "no-sub": lambda secret, sub, good, other: pyjwt.encode(_claims(sub, sub=None), secret),
    "wrong-typ": lambda secret, sub, good, other: pyjwt.encode(_claims(sub, typ="refresh"), secret),
    "tv-as-text": lambda secret, sub, good, other: pyjwt.encode(_claims(sub, tv="0"), secret),
    "stale-version": lambda secret, sub, good, other: pyjwt.encode(_claims(sub, tv=-1), secret),
    "unknown-user": lambda secret, sub, good, other: pyjwt.encode(_claims(str(uuid.uuid4())), secret),
    "unknown-api-key": lambda secret, sub, good, other: "cfk_" + "x" * 43,
}


@pytest.mark.parametrize("kind", FORGED)
def test_me_rejects_bad_tokens(client, member, admin, kind):
    secret = runtime_of(client).jwt_secret
    sub, other = user_row(client, member.email).uuid, user_row(client, admin.email).uuid
    good = member.jwt()
    assert client.get("/auth/me", headers=bearer(good)).status_code == 200  # the control
    token = FORGED[kind](secret, sub, good, other)
    for headers in (bearer(token), {"X-API-Key": token}):
        assert_error(client.get("/auth/me", headers=headers), 401, "UNAUTHORIZED")
    # anonymous refusals from one address in one minute are one sampled row with their count
    [blocked] = audit_rows(client, "GET /auth/me", "blocked")
    assert blocked.status_code == 401 and blocked.count == 2


def test_me_without_credentials_is_401(client):
    for headers in ({}, {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": "Bearer "}):
        assert_error(client.get("/auth/me", headers=headers), 401, "UNAUTHORIZED")


def test_deleted_user_credentials_stop_working(client, member):
    token, key = member.jwt(), member.key
    assert client.get("/auth/me", headers=bearer(token)).status_code == 200
    with runtime_of(client).sessions() as session:
        session.delete(session.get(User, user_row(client, member.email).id))
        session.commit()
    assert_error(client.get("/auth/me", headers=bearer(token)), 401, "UNAUTHORIZED")
    assert_error(client.get("/auth/me", headers={"X-API-Key": key}), 401, "UNAUTHORIZED")


def test_tokens_of_another_secret_are_refused(make_client, make_account):
    first = make_client(secret_key="first-secret-" + "a" * 32)
    second = make_client(secret_key="second-secret-" + "b" * 32)  # same database, other key
    account = make_account(client_=first)
    token = account.jwt()
    assert first.get("/auth/me", headers=bearer(token)).status_code == 200
    assert_error(second.get("/auth/me", headers=bearer(token)), 401, "UNAUTHORIZED")


def test_generated_secret_survives_a_restart(make_client, make_account):
    first = make_client()
    token = make_account(client_=first).jwt()
    restarted = make_client()  # same data directory: reads the stored key
    assert runtime_of(restarted).jwt_secret == runtime_of(first).jwt_secret
    assert restarted.get("/auth/me", headers=bearer(token)).status_code == 200


def test_disabled_user_can_neither_log_in_nor_use_old_tokens(client, member):
    token, key = member.jwt(), member.key
    update_user(client, member.email, is_active=False)
    assert_error(form_login(client, member.email, member.password), 401, "UNAUTHORIZED")
    assert_error(client.get("/auth/me", headers=bearer(token)), 401, "UNAUTHORIZED")
    assert_error(client.get("/auth/me", headers={"X-API-Key": key}), 401, "UNAUTHORIZED")
