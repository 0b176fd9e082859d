"""Issue 8, accounts: the `signup` setting (open, invite, closed) and admin-made invitations
(POST/GET /auth/invitations, DELETE /auth/invitations/{id}, `cloudfold invite create`)."""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest
from auth_support import audit_rows, json_login, table_values, user_row
from conftest import PASSWORD, assert_error, unique_email
from helpers_api import db

from cloudfold.db.models import Invitation, User
from serve_process import run_cli

pytestmark = pytest.mark.database  # also run on PostgreSQL in CI

FACES = {"signup": ("/auth/signup", "full_name"), "register": ("/auth/register", "name")}


def sign_up(client, face: str, email: str, invite_token: str | None = None, password: str = PASSWORD):
    path, name_field = FACES[face]
    body = {"email": email, "password": password, name_field: "Invited"}
    if invite_token is not None:
        body["invite_token"] = invite_token
    return client.post(path, json=body)


def invite(client, headers, expect: int = 201, **body) -> dict:
    r = client.post("/auth/invitations", json=body, headers=headers)
    assert r.status_code == expect, r.text
    return r.json()


def invitations(client, headers) -> list[dict]:
    r = client.get("/auth/invitations", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def users_count(client) -> int:
    with db(client) as session:
        return session.query(User).count()


@pytest.fixture
def invite_only(make_client):
    return make_client(signup="invite")


# --- the setting -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("face", FACES)
def test_open_is_the_default_and_needs_no_invitation(client, face):
    assert client.app.state.runtime.settings.signup == "open"
    assert sign_up(client, face, unique_email()).status_code == 201


@pytest.mark.parametrize("face", FACES)
def test_closed_sign_up_is_403_on_both_faces_and_creates_nothing(make_client, admin, face):
    c = make_client(signup="closed")
    before = users_count(c)
    token = invite(c, admin.headers)["token"]  # not even an invitation opens a closed server
    for invite_token in (None, token):
        body = assert_error(sign_up(c, face, unique_email(), invite_token), 403, "FORBIDDEN")
        assert "closed" in body["message"]
    assert users_count(c) == before
    blocked = audit_rows(c, "user.register", "blocked")
    assert len(blocked) == 2 and blocked[0].status_code == 403
    # the CLI still makes users
    env = {**os.environ, "CLOUDFOLD_DATA_DIR": str(c.app.state.runtime.settings.data_dir),
           "CLOUDFOLD_DATABASE_URL": c.app.state.runtime.settings.sqlalchemy_url, "CLOUDFOLD_SIGNUP": "closed"}
    run_cli(env, "user", "create", "ops-closed@example.com", "--password", "s3cret-pass")
    assert user_row(c, "ops-closed@example.com") is not None


@pytest.mark.parametrize("face", FACES)
def test_invite_only_needs_a_token(invite_only, face):
    body = assert_error(sign_up(invite_only, face, unique_email()), 403, "FORBIDDEN")
    assert "invitation" in body["message"] and "invite_token" in body["message"]
    body = assert_error(sign_up(invite_only, face, unique_email(), "cfi_not-a-real-invitation"), 403, "FORBIDDEN")
    assert body["message"] == "Invalid, used or expired invitation"
    assert users_count(invite_only) == 0


@pytest.mark.parametrize("face", FACES)
def test_an_invitation_admits_one_sign_up(invite_only, admin, face):
    made = invite(invite_only, admin.headers)
    email = unique_email("invited")
    r = sign_up(invite_only, face, email, made["token"])
    assert r.status_code == 201, r.text
    assert json_login(invite_only, email, PASSWORD).status_code == 200
    [listed] = [i for i in invitations(invite_only, admin.headers) if i["id"] == made["id"]]
    assert listed["status"] == "used" and listed["used_at"]
    # single use: a second sign-up with it is refused and makes nothing
    again = assert_error(sign_up(invite_only, face, unique_email(), made["token"]), 403, "FORBIDDEN")
    assert again["message"] == "Invalid, used or expired invitation"
    assert users_count(invite_only) == 2  # the admin and the invited user
    with db(invite_only) as session:
        row = session.get(Invitation, made["id"])
        assert row.used_by == user_row(invite_only, email).id
    assert [e.target for e in audit_rows(invite_only, "invitation.use")] == [f"invitation:{made['id']}"]


def test_an_expired_invitation_is_refused(invite_only, admin):
    made = invite(invite_only, admin.headers, expires_in_days=1)
    with db(invite_only) as session:
        session.get(Invitation, made["id"]).expires_at = datetime.now(timezone.utc) - timedelta(seconds=1)
    assert_error(sign_up(invite_only, "signup", unique_email(), made["token"]), 403, "FORBIDDEN")
    assert [i["status"] for i in invitations(invite_only, admin.headers)] == ["expired"]


def test_an_invitation_bound_to_an_address_admits_only_that_address(invite_only, admin):
    """A second person who gets hold of someone else's invitation cannot use it."""
    meant_for = unique_email("first")
    made = invite(invite_only, admin.headers, email=meant_for.upper())
    assert made["email"] == meant_for
    body = assert_error(sign_up(invite_only, "register", unique_email("second"), made["token"]), 403, "FORBIDDEN")
    assert meant_for not in body["message"]
    assert invitations(invite_only, admin.headers)[0]["status"] == "pending"  # still there for its owner
    assert sign_up(invite_only, "register", meant_for, made["token"]).status_code == 201


def test_a_refused_sign_up_leaves_the_invitation_unused(invite_only, admin, make_account):
    taken = make_account("admin", client_=invite_only).email
    made = invite(invite_only, admin.headers)
    assert_error(sign_up(invite_only, "signup", taken, made["token"]), 409, "CONFLICT")  # address taken
    assert_error(sign_up(invite_only, "signup", unique_email(), made["token"], password="short"), 400, "BAD_REQUEST")
    assert invitations(invite_only, admin.headers)[0]["status"] == "pending"
    assert sign_up(invite_only, "signup", unique_email(), made["token"]).status_code == 201


def test_one_invitation_raced_makes_one_account(invite_only, admin):
    token = invite(invite_only, admin.headers)["token"]
    emails = [unique_email(f"race{i}") for i in range(4)]
    with ThreadPoolExecutor(4) as pool:
        codes = list(pool.map(lambda e: sign_up(invite_only, "signup", e, token).status_code, emails))
    assert sorted(codes) == [201, 403, 403, 403]
    assert users_count(invite_only) == 2


# --- the invitation endpoints ----------------------------------------------------------------------------------------


def test_invitation_tokens_are_shown_once_and_stored_as_digests(client, admin):
    made = invite(client, admin.headers, email="guest@example.com")
    assert made["token"].startswith("cfi_") and made["prefix"] == made["token"][:12]
    assert made["status"] == "pending" and made["used_at"] is None
    expires = datetime.fromisoformat(made["expires_at"].replace("Z", "+00:00"))
    assert abs(expires - datetime.now(timezone.utc) - timedelta(days=7)) < timedelta(minutes=1)
    listed = invitations(client, admin.headers)
    assert [i["id"] for i in listed] == [made["id"]] and "token" not in listed[0]
    stored = table_values(client, Invitation)
    assert made["token"] not in stored and hashlib.sha256(made["token"].encode()).hexdigest() in stored
    assert invite(client, admin.headers, expires_in_days=None)["expires_at"] is None
    [event] = [e for e in audit_rows(client, "invitation.create") if e.target == f"invitation:{made['id']}"]
    assert made["token"] not in str(event.detail)


@pytest.mark.parametrize(
    "body, loc",
    [({"email": "not-an-email"}, ["body", "email"]), ({"expires_in_days": 0}, ["body", "expires_in_days"]),
     ({"expires_in_days": "soon"}, ["body", "expires_in_days"]),
     ({"expires_in_days": 366}, ["body", "expires_in_days"]),
     ({"email": ["a@example.com"]}, ["body", "email"])],
    ids=["bad-email", "zero-days", "days-text", "too-long", "email-list"],
)
def test_invitation_create_validates(client, admin, body, loc):
    detail = assert_error(client.post("/auth/invitations", json=body, headers=admin.headers), 422, "BAD_REQUEST")
    assert [d["loc"] for d in detail["detail"]] == [loc]
    assert table_values(client, Invitation) == []


def test_invitation_sign_up_field_is_validated(invite_only):
    for bad in ("", 42, ["cfi_x"]):
        body = {"email": unique_email(), "password": PASSWORD, "invite_token": bad}
        detail = assert_error(invite_only.post("/auth/signup", json=body), 422, "BAD_REQUEST")["detail"]
        assert [d["loc"] for d in detail] == [["body", "invite_token"]]


def test_members_and_strangers_cannot_manage_invitations(client, admin, member):
    made = invite(client, admin.headers)
    for headers, status, code in ((member.headers, 403, "FORBIDDEN"), ({}, 401, "UNAUTHORIZED")):
        assert_error(client.post("/auth/invitations", json={}, headers=headers), status, code)
        body = assert_error(client.get("/auth/invitations", headers=headers), status, code)
        assert made["id"] not in str(body)
        assert_error(client.delete(f"/auth/invitations/{made['id']}", headers=headers), status, code)
    # a read-only admin key has no admin scope either
    read_key = client.post("/auth/keys", json={"name": "ro", "scopes": ["read"]}, headers=admin.headers).json()["key"]
    assert_error(client.get("/auth/invitations", headers={"X-API-Key": read_key}), 403, "FORBIDDEN")
    assert [i["id"] for i in invitations(client, admin.headers)] == [made["id"]]


def test_deleting_invitations(invite_only, admin):
    pending, used = invite(invite_only, admin.headers), invite(invite_only, admin.headers)
    assert sign_up(invite_only, "signup", unique_email(), used["token"]).status_code == 201

    assert invite_only.delete(f"/auth/invitations/{pending['id']}", headers=admin.headers).status_code == 204
    assert_error(sign_up(invite_only, "signup", unique_email(), pending["token"]), 403, "FORBIDDEN")
    assert_error(invite_only.delete(f"/auth/invitations/{pending['id']}", headers=admin.headers), 404, "NOT_FOUND")
    assert_error(invite_only.delete("/auth/invitations/no-such-id", headers=admin.headers), 404, "NOT_FOUND")
    body = assert_error(invite_only.delete(f"/auth/invitations/{used['id']}", headers=admin.headers), 409, "CONFLICT")
    assert "used" in body["message"]
    assert [i["id"] for i in invitations(invite_only, admin.headers)] == [used["id"]]
    assert [e.target for e in audit_rows(invite_only, "invitation.delete")] == [f"invitation:{pending['id']}"]


def test_cli_invite_create_prints_a_working_token(invite_only):
    s = invite_only.app.state.runtime.settings
    env = {**os.environ, "CLOUDFOLD_DATA_DIR": str(s.data_dir), "CLOUDFOLD_DATABASE_URL": s.sqlalchemy_url}
    email = unique_email("cli")
    token = run_cli(env, "invite", "create", "--email", email, "--days", "2").stdout.strip()
    assert token.startswith("cfi_")
    assert_error(sign_up(invite_only, "signup", unique_email(), token), 403, "FORBIDDEN")  # another address
    assert sign_up(invite_only, "signup", email, token).status_code == 201
