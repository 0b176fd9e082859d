"""Idempotency-Key on POST: one execution per (caller, key); replays are identical and marked;
another body under the same key is a conflict; 429 and 5xx answers are not kept."""

from __future__ import annotations

from sqlalchemy import func, select

from cloudfold.db.models import IdempotencyRecord
from conftest import assert_error
from helpers_api import audit_page, db, list_keys
import pytest

pytestmark = pytest.mark.database  # also run on PostgreSQL in CI

REPLAYED = "idempotent-replayed"


def post_key(client, headers, idem: str | None, **body):
    extra = {"Idempotency-Key": idem} if idem is not None else {}
    return client.post("/auth/keys", json=body, headers={**headers, **extra})


def keys_named(client, headers, name: str) -> list[dict]:
    return [k for k in list_keys(client, headers) if k["name"] == name]


def records(client) -> int:
    with db(client) as session:
        return session.scalar(select(func.count()).select_from(IdempotencyRecord))


def test_same_key_and_body_replays_the_first_answer(client, member):
    first = post_key(client, member.headers, "create-once", name="once")
    second = post_key(client, member.headers, "create-once", name="once")
    assert first.status_code == second.status_code == 201
    assert second.content == first.content and second.json()["key"].startswith("cfk_")
    assert second.headers[REPLAYED] == "true" and REPLAYED not in first.headers
    assert second.headers["content-type"] == first.headers["content-type"]
    assert int(second.headers["content-length"]) == len(second.content)
    assert second.headers["x-request-id"] != first.headers["x-request-id"]
    # The work happened once: one key, one audit event.
    assert [k["id"] for k in keys_named(client, member.headers, "once")] == [first.json()["id"]]
    created = audit_page(client, member.headers, action="apikey.create")["events"]
    assert [e["target"] for e in created] == [f"apikey:{first.json()['id']}"]


def test_same_key_with_another_body_is_a_conflict(client, member):
    assert post_key(client, member.headers, "k-1", name="first").status_code == 201
    body = assert_error(post_key(client, member.headers, "k-1", name="second"), 409, "CONFLICT")
    assert "idempotency-key" in body["message"].lower()
    assert keys_named(client, member.headers, "second") == []
    assert len(keys_named(client, member.headers, "first")) == 1


def test_same_key_on_another_path_is_a_conflict(client, member):
    created = post_key(client, member.headers, "k-2", name="path").json()
    r = client.post(f"/auth/keys/{created['id']}/rotate", headers={**member.headers, "Idempotency-Key": "k-2"})
    assert_error(r, 409, "CONFLICT")
    assert client.get("/auth/keys", headers={"X-API-Key": created["key"]}).status_code == 200


def test_different_callers_use_the_same_key_independently(client, member, make_account):
    other = make_account("member")
    mine = post_key(client, member.headers, "shared-key", name="mine")
    theirs = post_key(client, other.headers, "shared-key", name="theirs")
    assert mine.status_code == theirs.status_code == 201
    assert REPLAYED not in theirs.headers
    assert mine.json()["id"] != theirs.json()["id"]
    assert len(keys_named(client, other.headers, "theirs")) == 1
    assert post_key(client, other.headers, "shared-key", name="theirs").headers[REPLAYED] == "true"


def test_client_errors_are_kept_and_replayed(client, member):
    first = post_key(client, member.headers, "too-wide", name="w", scopes=["admin"])
    assert_error(first, 403, "FORBIDDEN")
    again = post_key(client, member.headers, "too-wide", name="w", scopes=["admin"])
    assert again.status_code == 403 and again.headers[REPLAYED] == "true"
    assert again.json()["message"] == first.json()["message"]
    blocked = audit_page(client, member.headers, action="apikey.create", result="blocked")
    assert blocked["total"] == 1


def test_a_429_answer_is_not_stored(make_client, client, member):
    limited = make_client(rate_limit_default="1/minute")
    assert limited.get("/auth/keys", headers=member.headers).status_code == 200
    assert_error(post_key(limited, member.headers, "after-limit", name="retry"), 429, "RATE_LIMITED")
    assert records(client) == 0
    # Another replica (same database, fresh limits) runs the retry for real.
    retried = post_key(client, member.headers, "after-limit", name="retry")
    assert retried.status_code == 201 and REPLAYED not in retried.headers
    assert len(keys_named(client, member.headers, "retry")) == 1
    assert post_key(client, member.headers, "after-limit", name="retry").headers[REPLAYED] == "true"


def test_a_server_error_is_not_stored(client, member, monkeypatch):
    from cloudfold.domain import apikeys

    headers = member.headers  # log in before the domain breaks
    real_create = apikeys.create

    def broken(*args, **kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(apikeys, "create", broken)
    assert_error(post_key(client, headers, "flaky", name="flaky"), 500, "INTERNAL_ERROR")
    assert records(client) == 0
    monkeypatch.setattr(apikeys, "create", real_create)
    retried = post_key(client, headers, "flaky", name="flaky")
    assert retried.status_code == 201 and REPLAYED not in retried.headers


def test_without_the_header_every_post_runs(client, member):
    assert post_key(client, member.headers, None, name="plain").status_code == 201
    assert post_key(client, member.headers, None, name="plain").status_code == 201
    assert len(keys_named(client, member.headers, "plain")) == 2
    assert records(client) == 0


def test_an_overlong_key_is_a_bad_request(client, member):
    assert_error(post_key(client, member.headers, "k" * 256, name="long"), 400, "BAD_REQUEST")
    assert keys_named(client, member.headers, "long") == []
    assert post_key(client, member.headers, "k" * 255, name="long").status_code == 201


def test_the_header_is_ignored_on_other_methods(client, member):
    created = post_key(client, member.headers, "delete-me", name="gone").json()
    r = client.delete(f"/auth/keys/{created['id']}", headers={**member.headers, "Idempotency-Key": "delete-me"})
    assert r.status_code == 204
    r = client.get("/auth/keys", headers={**member.headers, "Idempotency-Key": "delete-me"})
    assert r.status_code == 200 and REPLAYED not in r.headers


def test_stored_answers_are_encrypted(client, member):
    minted = post_key(client, member.headers, "secret-answer", name="kept").json()["key"]
    with db(client) as session:
        stored = session.scalars(select(IdempotencyRecord.body)).all()
    assert stored and all(minted.encode() not in (body or b"") for body in stored)
    assert post_key(client, member.headers, "secret-answer", name="kept").json()["key"] == minted


def test_a_key_belongs_to_the_user_whichever_credential_they_use(client, member):
    first = post_key(client, member.headers, "same-user", name="both")
    bearer = {"Authorization": f"Bearer {member.jwt()}"}
    again = post_key(client, bearer, "same-user", name="both")
    assert again.headers[REPLAYED] == "true" and again.json()["id"] == first.json()["id"]
    assert len(keys_named(client, member.headers, "both")) == 1
