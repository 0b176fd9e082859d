"""Seed 003: POST /auth/forgot-password and /auth/reset-password, with the outbox and a real SMTP server."""

from __future__ import annotations

import hashlib
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest
from aiosmtpd.controller import Controller
from auth_support import (
    FORGOT_MESSAGE,
    NEW_PASSWORD,
    CollectingHandler,
    audit_rows,
    bearer,
    captured_logs,
    forgot,
    form_login,
    free_port,
    json_login,
    my_audit,
    outbox,
    request_reset_token,
    reset,
    runtime_of,
    table_values,
    token_from_text,
    update_user,
    user_row,
)
from conftest import PASSWORD, assert_error, unique_email

from cloudfold.db.models import AuditEvent, PasswordResetToken
from cloudfold.domain import passwords

pytestmark = pytest.mark.database  # also run on PostgreSQL in CI


def same_answer(a, b) -> None:
    def seen(r):
        return r.status_code, r.content, r.headers["content-type"]

    assert seen(a) == seen(b)


def expire_tokens(client, seconds_ago: int = 1) -> None:
    with runtime_of(client).sessions() as session:
        session.query(PasswordResetToken).update(
            {PasswordResetToken.expires_at: datetime.now(timezone.utc) - timedelta(seconds=seconds_ago)})
        session.commit()


# --- forgot-password ---------------------------------------------------------------------------------------------


def test_forgot_password_answers_the_same_for_every_address(client, member, make_account):
    disabled = make_account()
    update_user(client, disabled.email, is_active=False)
    known = forgot(client, member.email)
    assert known.status_code == 200 and known.json() == {"message": FORGOT_MESSAGE}
    for email in (unique_email("ghost"), member.email.upper(), disabled.email):
        same_answer(known, forgot(client, email))
    # only the live account got mail (twice: the upper-case address is the same account)
    assert [m.recipient for m in outbox(client)] == [member.email, member.email]
    assert outbox(client)[0].subject == "Reset your cloudfold password"

    uuid = user_row(client, member.email).uuid
    events = [(e.target, e.result) for e in audit_rows(client, "auth.forgot_password")]
    assert events[0] == (f"user:{uuid}", "success") and events[2] == (f"user:{uuid}", "success")
    assert events[1][1] == events[3][1] == "failed"
    assert events[3][0] == disabled.email


def test_forgot_password_validates_the_email(client):
    for body in ({}, {"email": "not-an-email"}, {"email": 42}):
        detail = assert_error(client.post("/auth/forgot-password", json=body), 400, "BAD_REQUEST")["detail"]
        assert [d["loc"] for d in detail] == [["body", "email"]]
    assert outbox(client) == []


def test_reset_token_is_only_kept_as_a_digest_and_never_logged(client, member):
    with captured_logs() as logs:
        token = request_reset_token(client, member.email)
        assert reset(client, token).status_code == 200
    with runtime_of(client).sessions() as session:
        [row] = session.query(PasswordResetToken).all()
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest() and row.used_at is not None
    assert not any(token in v for v in table_values(client, PasswordResetToken))
    assert not any(token in v for v in table_values(client, AuditEvent))
    assert logs.records and token not in logs.text


def test_reset_token_lifetime_follows_the_setting(make_client, make_account):
    client = make_client(reset_token_ttl_minutes=7)
    account = make_account(client_=client)
    token = request_reset_token(client, account.email)
    assert "within 7 minutes" in outbox(client)[-1].body
    with runtime_of(client).sessions() as session:
        row = session.query(PasswordResetToken).one()
    assert abs(row.expires_at - row.created_at - timedelta(minutes=7)) < timedelta(seconds=5)
    assert reset(client, token).status_code == 200


# --- reset-password ----------------------------------------------------------------------------------------------


def test_reset_changes_the_password_and_revokes_sessions(client, member):
    old_jwt, login_key = member.jwt(), member.key
    created = client.post("/auth/keys", json={"name": "ci"}, headers={"X-API-Key": login_key})
    assert created.status_code == 201, created.text
    api_key = created.json()["key"]
    version = user_row(client, member.email).token_version

    r = reset(client, request_reset_token(client, member.email))
    assert r.status_code == 200 and r.json() == {"message": "password updated successfully"}

    assert_error(form_login(client, member.email, PASSWORD), 401, "UNAUTHORIZED")
    assert_error(json_login(client, member.email, PASSWORD), 401, "UNAUTHORIZED")
    assert user_row(client, member.email).token_version == version + 1
    assert_error(client.get("/auth/me", headers=bearer(old_jwt)), 401, "UNAUTHORIZED")
    revoked = assert_error(client.get("/auth/keys", headers={"X-API-Key": login_key}), 401, "UNAUTHORIZED")
    assert "revoked" in revoked["message"]
    # by default a key made on purpose (kind "api") dies with the reset too (revoke_api_keys=false keeps
    # it: test_accounts_sessions.py)
    assert_error(client.get("/auth/keys", headers={"X-API-Key": api_key}), 401, "UNAUTHORIZED")

    new_jwt = form_login(client, member.email, NEW_PASSWORD).json()["access_token"]
    assert client.get("/auth/me", headers=bearer(new_jwt)).json()["email"] == member.email
    new_key = json_login(client, member.email, NEW_PASSWORD).json()["api_key"]
    assert client.get("/auth/keys", headers={"X-API-Key": new_key}).status_code == 200

    # the user sees the reset in their own audit log
    [event] = my_audit(client, {"X-API-Key": new_key}, action="auth.reset_password")
    uuid = user_row(client, member.email).uuid
    assert (event["result"], event["actor"], event["target"]) == ("success", member.email, f"user:{uuid}")


def test_reset_token_is_single_use(client, member):
    token = request_reset_token(client, member.email)
    assert reset(client, token).status_code == 200
    body = assert_error(reset(client, token, "yet-another-password"), 400, "BAD_REQUEST")
    assert body["message"] == "Invalid or expired reset token"
    assert form_login(client, member.email, NEW_PASSWORD).status_code == 200
    assert_error(form_login(client, member.email, "yet-another-password"), 401, "UNAUTHORIZED")
    assert [e.result for e in audit_rows(client, "auth.reset_password")] == ["success", "failed"]
    assert audit_rows(client, "auth.reset_password")[1].status_code == 400


def test_expired_token_is_refused(client, member):
    token = request_reset_token(client, member.email)
    expire_tokens(client)
    assert_error(reset(client, token), 400, "BAD_REQUEST")
    assert form_login(client, member.email, PASSWORD).status_code == 200
    assert [e.result for e in audit_rows(client, "auth.reset_password")] == ["failed"]


@pytest.mark.parametrize("token", ["not-a-token", "x" * 43, "a" * 200])
def test_unknown_token_is_refused(client, member, token):
    request_reset_token(client, member.email)
    assert_error(reset(client, token), 400, "BAD_REQUEST")
    assert form_login(client, member.email, PASSWORD).status_code == 200


@pytest.mark.parametrize(
    "body, loc",
    [({"new_password": NEW_PASSWORD}, ["body", "token"]),
     ({"token": "", "new_password": NEW_PASSWORD}, ["body", "token"]),
     ({"token": "t"}, ["body", "new_password"]),
     ({"token": "t" * 201, "new_password": NEW_PASSWORD}, ["body", "token"])],
    ids=["no-token", "empty-token", "no-password", "long-token"],
)
def test_reset_validation_is_400(client, body, loc):
    detail = assert_error(client.post("/auth/reset-password", json=body), 400, "BAD_REQUEST")["detail"]
    assert [d["loc"] for d in detail] == [loc]


def test_short_new_password_is_400_and_keeps_the_token(client, member):
    token = request_reset_token(client, member.email)
    assert_error(reset(client, token, "short"), 400, "BAD_REQUEST")
    assert reset(client, token).status_code == 200


def test_a_reset_voids_the_other_pending_tokens(client, member):
    first = request_reset_token(client, member.email)
    second = request_reset_token(client, member.email)
    assert first != second
    assert reset(client, second).status_code == 200
    assert_error(reset(client, first, "attacker-password"), 400, "BAD_REQUEST")
    assert form_login(client, member.email, NEW_PASSWORD).status_code == 200


def test_a_token_used_twice_at_once_works_only_once(client, member, monkeypatch):
    """Two resets race with one token: both have checked it before either has written."""
    token = request_reset_token(client, member.email)
    both_checked = threading.Barrier(2, timeout=5)
    real_hash = passwords.hash_password

    def slow_hash(password: str) -> str:
        try:
            both_checked.wait()
        except threading.BrokenBarrierError:
            pass  # code that takes the token before hashing lets one request through at a time
        return real_hash(password)

    monkeypatch.setattr(passwords, "hash_password", slow_hash)
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda pw: reset(client, token, pw), ["first-new-password", "second-new-password"]))
    assert sorted(r.status_code for r in answers) == [200, 400], [r.text for r in answers]
    winner = "first-new-password" if answers[0].status_code == 200 else "second-new-password"
    assert form_login(client, member.email, winner).status_code == 200
    assert [e.result for e in audit_rows(client, "auth.reset_password", "success")] == ["success"]


# --- a real SMTP server --------------------------------------------------------------------------------------


@pytest.fixture
def smtp_server():
    """Start aiosmtpd on a free local port; yield a function returning (handler, port)."""
    controllers: list[Controller] = []

    def start(reply: str | None = None) -> tuple[CollectingHandler, int]:
        handler, port = CollectingHandler(reply), free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        controllers.append(controller)
        return handler, port

    yield start
    for controller in controllers:
        controller.stop()


def smtp_client(make_client, port: int):
    return make_client(notifier="smtp", smtp_host="127.0.0.1", smtp_port=port, smtp_from="noreply@cloudfold.test")


def test_reset_mail_goes_through_smtp(make_client, make_account, smtp_server):
    handler, port = smtp_server()
    client = smtp_client(make_client, port)
    account = make_account(client_=client)
    r = forgot(client, account.email)
    assert r.status_code == 200 and r.json() == {"message": FORGOT_MESSAGE}

    recipients, mail = handler.only_message()
    assert recipients == [account.email] and mail["To"] == account.email
    assert mail["From"] == "noreply@cloudfold.test" and mail["Subject"] == "Reset your cloudfold password"
    token = token_from_text(mail.get_content())
    assert outbox(client) == []  # the SMTP backend does not also fill the outbox

    same_answer(r, forgot(client, unique_email("ghost")))
    assert len(handler.messages) == 1  # nothing sent for an unknown address

    assert reset(client, token).status_code == 200
    assert form_login(client, account.email, NEW_PASSWORD).status_code == 200


@pytest.mark.parametrize("failure", ["down", "refusing"])
def test_a_failing_mail_server_does_not_change_the_answer(make_client, make_account, smtp_server, failure):
    if failure == "down":
        port = free_port()  # nothing listens there
    else:
        handler, port = smtp_server("554 5.0.0 Transaction failed")
    client = smtp_client(make_client, port)
    account = make_account(client_=client)
    with captured_logs() as logs:
        known = forgot(client, account.email)
    unknown = forgot(client, unique_email("ghost"))
    assert known.status_code == 200 and known.json() == {"message": FORGOT_MESSAGE}
    same_answer(known, unknown)
    assert "could not deliver the password reset message" in logs.text
    assert audit_rows(client, "auth.forgot_password")[0].result == "success"
