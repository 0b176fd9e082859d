"""Issue 8, accounts: POST /auth/logout, password reset's revoke_api_keys, and failed logins
throttled per account as well as per IP (with answers that do not tell addresses apart)."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest
from auth_support import (
    NEW_PASSWORD,
    audit_rows,
    bearer,
    form_login,
    json_login,
    request_reset_token,
    reset,
    runtime_of,
)
from conftest import PASSWORD, assert_error, unique_email
from helpers_api import create_key, db, wait_for_task
from helpers_redis import redis_server, redis_url  # noqa: F401  (fixtures)

from cloudfold.db.models import RevokedToken
from cloudfold.security import jwt as jwt_tokens

pytestmark = pytest.mark.database  # also run on PostgreSQL in CI

# --- logout ----------------------------------------------------------------------------------------------------------


def logout(client, headers):
    return client.post("/auth/logout", headers=headers)


def test_logout_revokes_the_presented_jwt_only(client, member):
    first, second = member.jwt(), member.jwt()
    assert client.get("/auth/me", headers=bearer(first)).status_code == 200
    r = logout(client, bearer(first))
    assert r.status_code == 204 and r.content == b""
    body = assert_error(client.get("/auth/me", headers=bearer(first)), 401, "UNAUTHORIZED")
    assert "revoked" in body["message"]
    assert_error(logout(client, bearer(first)), 401, "UNAUTHORIZED")  # once is enough
    assert client.get("/auth/me", headers=bearer(second)).status_code == 200  # another session lives on
    assert client.get("/auth/me", headers=member.headers).status_code == 200

    claims = jwt_tokens.verify(runtime_of(client).jwt_secret, first)
    with db(client) as session:
        row = session.get(RevokedToken, claims.jti)
        assert row is not None and abs(row.expires_at - claims.expires_at) < timedelta(seconds=1)
    [event] = audit_rows(client, "auth.logout")
    assert event.result == "success" and event.detail == {"token": "jwt"} and first not in str(event.detail)


def test_logout_with_a_login_key_revokes_it(client, member):
    login_key = json_login(client, member.email, PASSWORD).json()["api_key"]
    assert logout(client, {"X-API-Key": login_key}).status_code == 204
    body = assert_error(client.get("/auth/keys", headers={"X-API-Key": login_key}), 401, "UNAUTHORIZED")
    assert "revoked" in body["message"]
    assert client.get("/auth/keys", headers=member.headers).status_code == 200


def test_logout_with_a_long_lived_key_is_400_and_keeps_it(client, member):
    manual = create_key(client, member.headers, name="ci")
    body = assert_error(logout(client, {"X-API-Key": manual["key"]}), 400, "BAD_REQUEST")
    assert "DELETE /auth/keys/{id}" in body["message"]
    assert client.get("/auth/keys", headers={"X-API-Key": manual["key"]}).status_code == 200
    assert audit_rows(client, "auth.logout") == []


def test_logout_needs_a_valid_credential(client):
    for headers in ({}, bearer("not.a.jwt"), {"X-API-Key": "cfk_not-a-key"}):
        assert_error(logout(client, headers), 401, "UNAUTHORIZED")


def test_a_member_cannot_log_out_someone_else(client, member, make_account):
    """Logout acts on the presented credential alone: a second member ends only their own session."""
    other = make_account("member")
    theirs, mine = member.jwt(), other.jwt()
    assert logout(client, bearer(mine)).status_code == 204
    # nothing in the request can name another session: a body naming theirs is ignored
    r = client.post("/auth/logout", json={"token": theirs}, headers=bearer(other.jwt()))
    assert r.status_code == 204
    assert client.get("/auth/me", headers=bearer(theirs)).json()["email"] == member.email
    assert client.get("/auth/me", headers=member.headers).status_code == 200


def test_housekeeping_forgets_revocations_of_expired_tokens(client, member, admin):
    stale, fresh = member.jwt(), member.jwt()
    assert logout(client, bearer(stale)).status_code == 204
    assert logout(client, bearer(fresh)).status_code == 204
    stale_jti = jwt_tokens.verify(runtime_of(client).jwt_secret, stale).jti
    with db(client) as session:
        session.get(RevokedToken, stale_jti).expires_at = datetime.now(timezone.utc) - timedelta(seconds=1)
    task = wait_for_task(client, admin.headers, runtime_of(client).queue.enqueue("housekeeping", {}))
    assert task["result"]["revoked_tokens"] == 1
    with db(client) as session:
        assert [r.jti for r in session.query(RevokedToken)] == [jwt_tokens.verify(runtime_of(client).jwt_secret,
                                                                                   fresh).jti]
    assert_error(client.get("/auth/me", headers=bearer(fresh)), 401, "UNAUTHORIZED")


# --- password reset: revoke_api_keys --------------------------------------------------------------------------------


def test_reset_revokes_every_api_key_by_default(client, member):
    manual = create_key(client, member.headers, name="ci")["key"]
    assert reset(client, request_reset_token(client, member.email)).status_code == 200
    for key in (manual, member.key):
        assert_error(client.get("/auth/keys", headers={"X-API-Key": key}), 401, "UNAUTHORIZED")
    [event] = audit_rows(client, "auth.reset_password", "success")
    assert event.detail == {"revoke_api_keys": True, "revoked_keys": 2}


def test_reset_can_keep_long_lived_keys(client, member):
    manual = create_key(client, member.headers, name="ci")["key"]
    login_key, old_jwt = member.key, member.jwt()
    token = request_reset_token(client, member.email)
    r = client.post("/auth/reset-password", json={"token": token, "new_password": NEW_PASSWORD,
                                                  "revoke_api_keys": False})
    assert r.status_code == 200, r.text
    assert client.get("/auth/keys", headers={"X-API-Key": manual}).status_code == 200
    # sessions die whatever the option says
    assert_error(client.get("/auth/keys", headers={"X-API-Key": login_key}), 401, "UNAUTHORIZED")
    assert_error(client.get("/auth/me", headers=bearer(old_jwt)), 401, "UNAUTHORIZED")


@pytest.mark.parametrize("value", ["no", 0, None, [True]])
def test_reset_option_must_be_a_boolean(client, member, value):
    token = request_reset_token(client, member.email)
    body = {"token": token, "new_password": NEW_PASSWORD, "revoke_api_keys": value}
    detail = assert_error(client.post("/auth/reset-password", json=body), 400, "BAD_REQUEST")["detail"]
    assert [d["loc"] for d in detail] == [["body", "revoke_api_keys"]]
    assert json_login(client, member.email, PASSWORD).status_code == 200  # nothing changed


# --- failed logins per account ---------------------------------------------------------------------------------------


def assert_locked(response) -> None:
    body = assert_error(response, 429, "RATE_LIMITED")
    retry_after = int(response.headers["retry-after"])
    assert 1 <= retry_after <= 15 * 60 and body["detail"] == {"retry_after": retry_after}


def test_failed_logins_lock_the_account_whatever_the_face(make_client, member, make_account):
    c = make_client(rate_limit_login_account="5/15minute")
    other = make_account("member")
    attempts = [form_login(c, member.email, "wrong-password") for _ in range(3)]
    attempts += [json_login(c, member.email.upper(), "wrong-password") for _ in range(2)]
    assert [r.status_code for r in attempts] == [401] * 5
    assert_locked(form_login(c, member.email, PASSWORD))  # even the right password waits now
    assert_locked(json_login(c, member.email, PASSWORD))
    # another account from the same address is not locked, and keys already handed out still work
    assert json_login(c, other.email, PASSWORD).status_code == 200
    assert c.get("/auth/me", headers=member.headers).status_code == 200


def test_a_success_clears_the_count(make_client, member):
    c = make_client(rate_limit_login_account="3/15minute")
    assert [json_login(c, member.email, "wrong").status_code for _ in range(2)] == [401, 401]
    assert json_login(c, member.email, PASSWORD).status_code == 200
    assert [json_login(c, member.email, "wrong").status_code for _ in range(3)] == [401, 401, 401]
    assert_locked(json_login(c, member.email, PASSWORD))


def _seen(response) -> tuple:
    body = response.json()
    body.pop("request_id", None)
    return response.status_code, body, response.headers["content-type"], response.headers.get("www-authenticate")


def test_unknown_addresses_and_wrong_passwords_look_the_same(make_client, member):
    c = make_client(rate_limit_login_account="2/15minute")
    ghost = unique_email("ghost")
    for login in (form_login, json_login):
        assert _seen(login(c, member.email, "wrong-password")) == _seen(login(c, ghost, "wrong-password"))
    # both are locked after the same number of failures, with the same answer
    locked_known, locked_ghost = json_login(c, member.email, "x"), json_login(c, ghost, "x")
    assert_locked(locked_known)
    assert_locked(locked_ghost)
    assert locked_known.json()["message"] == locked_ghost.json()["message"]


def test_unknown_addresses_take_as_long_as_wrong_passwords(client, member):
    def timed(email: str) -> float:
        start = time.perf_counter()
        assert json_login(client, email, "wrong-password").status_code == 401
        return time.perf_counter() - start

    known = min(timed(member.email) for _ in range(3))
    unknown = min(timed(unique_email("ghost")) for _ in range(3))
    assert unknown > known / 5 and known > unknown / 5, (known, unknown)  # one password hash each


def test_the_account_count_is_shared_through_redis(make_client, member, redis_url):  # noqa: F811
    a = make_client(rate_limit_login_account="3/15minute", redis_url=redis_url)
    b = make_client(rate_limit_login_account="3/15minute", redis_url=redis_url)
    assert [json_login(x, member.email, "wrong").status_code for x in (a, b, a)] == [401] * 3
    assert_locked(json_login(b, member.email, PASSWORD))
    assert_locked(form_login(a, member.email, PASSWORD))


def test_the_setting_is_validated(make_settings):
    with pytest.raises(ValueError):
        make_settings(rate_limit_login_account="5 per")
    assert make_settings().signup == "open"
    with pytest.raises(ValueError):
        make_settings(signup="sometimes")
