"""Test harness: every test gets a fresh, migrated database and an app built on it.

SQLite by default (a migrated template file copied per test). When
``CLOUDFOLD_TEST_DATABASE_URL`` names a PostgreSQL database, the schema is migrated once
per session and every table is emptied after each test.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

# argon2-cffi's minimal parameters: the suite makes thousands of users, and at the recommended
# profile each hash and sign-in costs ~0.1 s of a CPU (tests/test_password_profile.py checks the
# real default). Set before cloudfold is imported; `cloudfold serve` processes inherit it.
os.environ.setdefault("CLOUDFOLD_PASSWORD_HASH_PROFILE", "cheapest")

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from cloudfold.api.app import create_app  # noqa: E402
from cloudfold.db.base import Base  # noqa: E402
from cloudfold.db.migrate import upgrade  # noqa: E402
from cloudfold.settings import Settings  # noqa: E402

# the real container engine's fixtures (engine_socket, engine, make_container), defined once so
# the whole session shares one Podman service
pytest_plugins = ("engine",)

PG_URL = os.environ.get("CLOUDFOLD_TEST_DATABASE_URL")
PASSWORD = "correct-horse-battery"
HIGH = "100000/minute"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "cloudfold.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_schema() -> Iterator[str | None]:
    if not PG_URL:
        yield None
        return
    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    upgrade(PG_URL)
    yield PG_URL


def _truncate(url: str) -> None:
    engine = create_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def database_url(tmp_path, sqlite_template, pg_schema) -> Iterator[str]:
    if pg_schema:
        yield pg_schema
        _truncate(pg_schema)
        return
    target = tmp_path / "data" / "cloudfold.db"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(sqlite_template, target)
    yield f"sqlite:///{target}"


@pytest.fixture
def make_settings(tmp_path, database_url):
    """Build Settings for a test; keyword arguments override the test defaults."""

    def build(**overrides) -> Settings:
        values = dict(
            data_dir=tmp_path / "data",
            database_url=database_url,
            rate_limit_default=HIGH,
            rate_limit_auth=HIGH,
            rate_limit_actions=HIGH,
            rate_limit_login_account=HIGH,
            housekeeping_interval_seconds=3600,
            schedule_tick_seconds=3600,
            auto_register_local=False,
            monitor_engine=False,  # probes run only in apps a test starts them in (no stray probes)
            health_degraded_ms=60_000.0,  # a loaded test machine pings slowly; test_local_inventory checks the threshold
        )
        values.update(overrides)
        return Settings(**values)

    return build


@pytest.fixture
def make_client(make_settings) -> Iterator:
    """Start an app (lifespan included) with the given settings; closed after the test."""
    clients: list[TestClient] = []

    def build(**overrides) -> TestClient:
        client = TestClient(create_app(make_settings(**overrides)), raise_server_exceptions=False)
        client.__enter__()
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client) -> TestClient:
    return make_client()


@pytest.fixture
def runtime(client):
    return client.app.state.runtime


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"


class Account:
    """A registered user and ways to call the API as them."""

    def __init__(self, client: TestClient, email: str, password: str = PASSWORD) -> None:
        self.client, self.email, self.password = client, email, password
        self._key: str | None = None

    @property
    def key(self) -> str:
        if self._key is None:
            r = self.client.post("/auth/login", json={"email": self.email, "password": self.password})
            assert r.status_code == 200, r.text
            self._key = r.json()["api_key"]
        return self._key

    def jwt(self) -> str:
        r = self.client.post("/auth/login", data={"username": self.email, "password": self.password})
        assert r.status_code == 200, r.text
        return r.json()["access_token"]

    @property
    def headers(self) -> dict[str, str]:
        return {"X-API-Key": self.key}


@pytest.fixture
def make_account(client):
    def build(role: str = "member", client_=None) -> Account:
        c = client_ or client
        email = unique_email(role)
        if role == "member":
            r = c.post("/auth/signup", json={"email": email, "password": PASSWORD, "full_name": "Test User"})
            assert r.status_code == 201, r.text
        else:
            from cloudfold.domain import users
            from cloudfold.domain.context import SYSTEM
            from cloudfold.security.scopes import Role

            with c.app.state.runtime.sessions() as session:
                users.register(session, SYSTEM, email, PASSWORD, "Test " + role, Role(role))
        return Account(c, email)

    return build


@pytest.fixture
def member(make_account) -> Account:
    return make_account("member")


@pytest.fixture
def admin(make_account) -> Account:
    return make_account("admin")


def assert_error(response, status: int, code: str) -> dict:
    """Every failure has one shape; check it and return the body."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == code and body["code"] == code, body
    assert body["success"] is False
    assert isinstance(body["message"], str) and body["message"]
    assert "detail" in body
    assert "Traceback" not in response.text
    assert response.headers.get("x-request-id")
    return body


CHROMIUM = "/usr/bin/chromium"  # Debian's (scripts/install-test-deps); Playwright's download is not reachable


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole session's browser tests (tests/test_ui_*browser*.py)."""
    from playwright import sync_api as playwright_api

    with playwright_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                      args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield chromium
        chromium.close()
