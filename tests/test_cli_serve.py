"""The `cloudfold` command end to end: migrate, user and key creation, and `serve` as a
real process answering the seed documents' curl flows over a socket."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator

import httpx
import pytest

from serve_process import run_cli, serving


@pytest.fixture
def cli_env(tmp_path, database_url) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLOUDFOLD_")}
    env.update(CLOUDFOLD_DATA_DIR=str(tmp_path / "cfdata"), CLOUDFOLD_DATABASE_URL=database_url,
               CLOUDFOLD_RATE_LIMIT_AUTH="1000/minute")
    return env


@pytest.fixture
def server(cli_env) -> Iterator[str]:
    with serving(cli_env) as base:
        yield base


def test_version_and_migrate(cli_env):
    from cloudfold import __version__

    assert run_cli(cli_env, "version").stdout.strip() == __version__
    assert "up to date" in run_cli(cli_env, "migrate").stdout


def test_user_and_key_commands(cli_env):
    out = run_cli(cli_env, "user", "create", "ops@example.com", "--password", "s3cret-pass", "--admin").stdout
    assert "role admin" in out
    again = run_cli(cli_env, "user", "create", "ops@example.com", "--password", "s3cret-pass", ok=False)
    assert again.returncode == 1 and "already registered" in again.stderr
    key = run_cli(cli_env, "apikey", "create", "--user", "ops@example.com", "--scope", "read").stdout.strip()
    assert key.startswith("cfk_")
    missing = run_cli(cli_env, "apikey", "create", "--user", "nobody@example.com", ok=False)
    assert missing.returncode == 1


def test_data_dir_holds_generated_key_material_privately(cli_env, server):
    data = cli_env["CLOUDFOLD_DATA_DIR"]
    assert stat.S_IMODE(os.stat(data).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(os.path.join(data, "jwt.key")).st_mode) == 0o600


def test_seed_002_flow_over_http(server):
    body = {"email": "user@example.com", "password": "securepassword123", "full_name": "John Doe"}
    r = httpx.post(server + "/auth/signup", json=body)
    assert r.status_code == 201 and r.json()["full_name"] == "John Doe"
    r = httpx.post(server + "/auth/login", data={"username": body["email"], "password": body["password"]},
                   headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 200 and r.json()["token_type"] == "bearer"
    me = httpx.get(server + "/auth/me", headers={"Authorization": f"Bearer {r.json()['access_token']}"})
    assert me.status_code == 200 and me.json()["email"] == body["email"]
    assert me.headers["x-request-id"]


def test_seed_003_flow_over_http(server):
    r = httpx.post(server + "/auth/register",
                   json={"email": "user@example.com", "password": "password", "name": "User Name"})
    assert r.status_code == 201 and r.json()["message"] == "user created successfully"
    r = httpx.post(server + "/auth/login", json={"email": "user@example.com", "password": "password"})
    assert r.status_code == 200
    api_key = r.json()["api_key"]
    created = httpx.post(server + "/auth/keys", json={"name": "Production Key"}, headers={"X-API-Key": api_key})
    assert created.status_code == 201 and created.json()["name"] == "Production Key"
    listed = httpx.get(server + "/auth/keys", headers={"X-API-Key": created.json()["key"]})
    assert {k["name"] for k in listed.json()} == {"login", "Production Key"}
    ready = httpx.get(server + "/health/ready")
    assert ready.status_code == 200 and ready.json()["checks"] == {"database": "CONNECTED"}
