"""Issue 8, secrets: no key or JWT in the server's log or the audit log, reset tokens sealed in
the outbox, a private data directory, and anonymous refusals counted instead of written one by one."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import httpx
import pytest
from auth_support import audit_rows, outbox_token, runtime_of, table_values
from conftest import PASSWORD, PG_URL, assert_error, unique_email
from helpers_api import audit_metrics, audit_page, db, flush_refusals, wait_until
from websockets.sync.client import connect

from cloudfold.db.models import AuditEvent, OutboxMessage
from cloudfold.security.redact import redact
from serve_process import run_cli, serving

pytestmark = pytest.mark.database  # also run on PostgreSQL in CI


@pytest.fixture
def fresh_env(tmp_path) -> dict[str, str]:
    """A `cloudfold serve` environment on a data directory that does not exist yet (the SQLite
    database inside it, unless the run is on PostgreSQL)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLOUDFOLD_")}
    env.update(CLOUDFOLD_DATA_DIR=str(tmp_path / "fresh" / "cfdata"), CLOUDFOLD_RATE_LIMIT_AUTH="1000/minute",
               CLOUDFOLD_AUTO_REGISTER_LOCAL="false")
    if PG_URL:
        env["CLOUDFOLD_DATABASE_URL"] = PG_URL
    return env


@pytest.fixture
def pg_clean(database_url):
    """On PostgreSQL, the database_url fixture empties the tables after the test."""
    return database_url


def modes(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): stat.S_IMODE(p.stat().st_mode) for p in [root, *root.rglob("*")]}


# --- a real server ---------------------------------------------------------------------------------------------------


def test_the_data_directory_is_private(fresh_env, pg_clean):
    data = Path(fresh_env["CLOUDFOLD_DATA_DIR"])
    run_cli(fresh_env, "migrate")
    if not PG_URL:  # an older install's loose modes are tightened at the next start
        os.chmod(data / "cloudfold.db", 0o644)
    os.chmod(data, 0o755)
    with serving(fresh_env) as base:
        email = unique_email()
        assert httpx.post(base + "/auth/signup", json={"email": email, "password": PASSWORD}).status_code == 201
        assert httpx.post(base + "/auth/forgot-password", json={"email": email}).status_code == 200
        seen = modes(data)  # while it runs: the SQLite -wal and -shm files exist now
    expected = {"jwt.key", "credentials.key"} | (set() if PG_URL else {"cloudfold.db", "cloudfold.db-wal",
                                                                        "cloudfold.db-shm"})
    assert expected <= set(seen), seen
    assert seen.pop(".") == 0o700
    assert {name: mode for name, mode in seen.items() if mode != 0o600} == {}, seen


def test_serve_keeps_keys_and_jwts_out_of_its_log(fresh_env, pg_clean, tmp_path):
    log_path = tmp_path / "serve.log"
    with serving(fresh_env, log_path) as base:
        email = unique_email()
        assert httpx.post(base + "/auth/signup", json={"email": email, "password": PASSWORD}).status_code == 201
        key = httpx.post(base + "/auth/login", json={"email": email, "password": PASSWORD}).json()["api_key"]
        jwt = httpx.post(base + "/auth/login", data={"username": email, "password": PASSWORD}).json()["access_token"]
        ws_base = base.replace("http://", "ws://")
        for credential in (key, jwt):
            with connect(f"{ws_base}/ws?token={credential}") as ws:
                ws.send("ping")
                assert "pong" in ws.recv(timeout=10)
            for param in ("token", "api_key", "key"):
                assert httpx.get(f"{base}/auth/me?{param}={credential}",
                                 headers={"Authorization": f"Bearer {credential}"}).status_code == 200
        # refused ones too: a wrong key in the query and in the path
        assert httpx.get(f"{base}/auth/me?token={key}x").status_code == 401
        assert httpx.delete(f"{base}/auth/keys/{key}").status_code == 401
    text = log_path.read_text()
    assert "/ws?token=[redacted]" in text and "/auth/me?api_key=[redacted]" in text, text
    for secret in (key, key[4:], jwt, jwt.split(".")[1]):
        assert secret not in text, text


def test_redaction_of_every_secret_shape():
    key = "cfk_" + "A1b2-C3_d4" * 4
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
    line = (f'1.2.3.4 - "GET /x?a=1&token={jwt}&api_key=plain-secret HTTP/1.1" Authorization: Bearer opaque.val '
            f"X-API-Key {key} invitation cfi_{'z' * 30}")
    out = redact(line)
    for secret in (jwt, "plain-secret", "opaque.val", key[4:], "z" * 30):
        assert secret not in out
    assert "a=1" in out and "1.2.3.4" in out and "GET /x?" in out


# --- the audit log ---------------------------------------------------------------------------------------------------


def test_audit_rows_never_hold_keys(client, member):
    key = member.key
    assert client.delete(f"/auth/keys/{key}").status_code == 401
    r = client.post("/auth/keys", json={"name": f"copy of {key}"}, headers=member.headers)
    assert r.status_code == 201
    flush_refusals(client)
    stored = " ".join(table_values(client, AuditEvent))
    assert key not in stored and key[4:] not in stored
    assert "/auth/keys/cfk_[redacted]" in stored and "copy of cfk_[redacted]" in stored


def anonymous_401s(client, n: int, forwarded_for: str | None = None) -> None:
    headers = {"X-API-Key": "cfk_wrong-guess"} | ({"X-Forwarded-For": forwarded_for} if forwarded_for else {})
    for _ in range(n):
        assert client.get("/auth/keys", headers=headers).status_code == 401


def sampled(client) -> list[AuditEvent]:
    flush_refusals(client)
    with db(client) as session:
        return list(session.query(AuditEvent).filter(AuditEvent.sample_key.is_not(None)).order_by(AuditEvent.id))


def per_source(rows) -> dict[str, int]:
    """Counts per source address. Rows are per minute, so a run that crosses a minute
    boundary makes two rows for one source: at most two, whose counts add up."""
    totals: dict[str, int] = {}
    for ip, count in rows:
        totals[ip] = totals.get(ip, 0) + count
    assert all(sum(1 for ip, _ in rows if ip == k) <= 2 for k in totals), rows
    return totals


def test_300_anonymous_401s_make_one_row_with_their_count(make_client, admin):
    c = make_client(trusted_proxies=["testclient"])
    anonymous_401s(c, 300, "203.0.113.7")
    rows = sampled(c)
    assert {(r.actor, r.actor_ip, r.action, r.status_code, r.result) for r in rows} == {
        ("anonymous", "203.0.113.7", "GET /auth/keys", 401, "blocked")}
    assert per_source([(r.actor_ip, r.count) for r in rows]) == {"203.0.113.7": 300}
    anonymous_401s(c, 5, "198.51.100.9")
    rows = sampled(c)
    assert per_source([(r.actor_ip, r.count) for r in rows]) == {"203.0.113.7": 300, "198.51.100.9": 5}
    # the admin sees the count, and the metrics count every refusal
    events = audit_page(c, admin.headers, result="blocked")["events"]
    assert per_source([(e["actor_ip"], e["detail"]["count"]) for e in events if e["actor"] == "anonymous"]) == {
        "203.0.113.7": 300, "198.51.100.9": 5}
    assert audit_metrics(c, admin.headers)["blocked"] >= 305


def test_processes_add_to_the_same_row(make_client):
    """Two app instances share no memory, only the database: their counts add up in one row."""
    a, b = make_client(), make_client()
    anonymous_401s(a, 40)
    anonymous_401s(b, 25)
    flush_refusals(a)
    anonymous_401s(a, 10)
    flush_refusals(b)
    assert per_source([(r.actor_ip, r.count) for r in sampled(a)]) == {"testclient": 75}


def test_counts_are_written_on_their_own_and_at_shutdown(make_client):
    a = make_client(audit_sample_seconds=0.2)
    anonymous_401s(a, 3)
    wait_until(lambda: sum(r.count for r in audit_rows_no_flush(a)) == 3, what="the periodic flush")
    b = make_client(audit_sample_seconds=3600)
    anonymous_401s(b, 4)
    b.__exit__(None, None, None)  # stopping writes what is pending
    assert sum(r.count for r in audit_rows_no_flush(a)) == 7


def audit_rows_no_flush(client) -> list[AuditEvent]:
    with db(client) as session:
        return list(session.query(AuditEvent).filter(AuditEvent.sample_key.is_not(None)))


def test_anonymous_429s_are_sampled_but_a_users_refusals_are_rows(make_client, member):
    c = make_client(rate_limit_auth="2/minute")
    codes = [c.post("/auth/forgot-password", json={"email": "x@example.com"}).status_code for _ in range(6)]
    assert codes == [200, 200, 429, 429, 429, 429]
    rows = sampled(c)
    assert {(r.status_code, r.action) for r in rows} == {(429, "POST /auth/forgot-password")}
    assert sum(per_source([(r.actor_ip, r.count) for r in rows]).values()) == 4
    viewer_key = c.post("/auth/keys", json={"name": "ro", "scopes": ["read"]}, headers=member.headers).json()["key"]
    for _ in range(3):
        assert_error(c.post("/auth/keys", json={"name": "x"}, headers={"X-API-Key": viewer_key}), 403, "FORBIDDEN")
    own = [e for e in audit_rows(c, result="blocked") if e.actor_user_id is not None]
    assert [(e.status_code, e.count) for e in own] == [(403, None)] * 3


# --- the outbox ------------------------------------------------------------------------------------------------------


def test_reset_tokens_are_sealed_in_the_outbox_and_opened_by_the_cli(client, member):
    assert client.post("/auth/forgot-password", json={"email": member.email}).status_code == 200
    token = outbox_token(client, member.email)  # the tests' one way in: opened with the secret box
    stored = " ".join(table_values(client, OutboxMessage))
    assert token not in stored and "reset token" not in stored
    s = runtime_of(client).settings
    env = {**os.environ, "CLOUDFOLD_DATA_DIR": str(s.data_dir), "CLOUDFOLD_DATABASE_URL": s.sqlalchemy_url}
    shown = run_cli(env, "outbox", "show", "--to", member.email.upper()).stdout
    assert token in shown and member.email in shown and "Reset your cloudfold password" in shown
    assert run_cli(env, "outbox", "show", "--to", "nobody@example.com").stdout == ""
    r = client.post("/auth/reset-password", json={"token": token, "new_password": "a-new-passphrase"})
    assert r.status_code == 200
