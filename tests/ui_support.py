"""Helpers for the dashboard's tests: sign in through /ui/login like a browser (the form's
CSRF token read from the page), and records to look at."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from conftest import PASSWORD
from localcloud_support import LABELS, POOL, remove_labelled
from serve_process import run_cli, serving
from sqlalchemy import create_engine, update
from sqlalchemy.orm import Session

from cloudfold.db.models import Account as ProviderAccount
from cloudfold.db.models import Resource, User

CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, html[:2000]
    return match.group(1)


def ui_login(client, email: str, password: str, **extra):
    """Sign in through the login form; return the response (a 303 to the next page on success)."""
    form = client.get("/ui/login")
    assert form.status_code == 200, form.text
    return client.post("/ui/login", data={"email": email, "password": password, "csrf_token": csrf_of(form.text),
                                          **extra}, follow_redirects=False)


def signed_in(client, account) -> str:
    """Sign ``account`` in on ``client`` (its cookie jar); return the overview's CSRF token."""
    r = ui_login(client, account.email, account.password)
    assert r.status_code == 303, r.text
    page = client.get("/ui")
    assert page.status_code == 200, page.text
    return csrf_of(page.text)


def shared_machine(runtime, name: str = "web-1", status: str = "running", kind: str = "container") -> int:
    """A machine of a shared local account (no owner): everyone sees it, only admins act on it."""
    with runtime.sessions() as session:
        account = ProviderAccount(slug=f"ui-shared-{name}", provider_type="local", display_name="Local engine",
                                  config={}, owner_id=None)
        session.add(account)
        session.flush()
        row = Resource(account_id=account.id, provider="local", kind=kind, external_id=f"ext-{name}", name=name,
                       status=status, meta={}, tags={"app": "web"})
        session.add(row)
        session.commit()
        return row.id


def manual_resources(member, names: list[str], kind: str = "vm", status: str = "running") -> list[int]:
    """Hand-tracked records of ``member`` through the API (POST /api/resources)."""
    ids = []
    for name in names:
        r = member.client.post("/api/resources", json={"name": name, "resource_type": kind, "status": status,
                                                       "region": "eu-1"}, headers=member.headers)
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    return ids


class DirectRuntime:
    """Enough of a runtime for the helpers above: sessions on a served app's database."""

    def __init__(self, url: str) -> None:
        self.engine = create_engine(url)

    def sessions(self) -> Session:
        return Session(self.engine)


SHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"  # taken by the browser tests
AXE_PATH = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"  # tests/vendor/README.md


def serious_violations(page) -> list[dict]:
    """axe-core's serious and critical findings on the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_PATH.read_text())
    results = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [{"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
            for v in results["violations"] if v["impact"] in ("serious", "critical")]


def signed_in_page(browser, base: str, email: str, width: int = 1280, password: str = PASSWORD):
    """A new browser context signed in as ``email`` through the login form, on the overview;
    its console errors (a refused script or style among them) collect in ``page.csp_errors``."""
    context = browser.new_context(base_url=base, viewport={"width": width, "height": 800})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.csp_errors = errors
    page.goto("/ui")
    assert page.url.endswith("/ui/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/ui")
    return page


ADMIN, MEMBER, VIEWER = "ui-admin@example.com", "ui-member@example.com", "ui-viewer@example.com"


@contextmanager
def dashboard_server(tmp: Path, **env_extra: str) -> Iterator[tuple[str, DirectRuntime]]:
    """A real `cloudfold serve` on its own SQLite database with an admin, a member and a
    viewer (ADMIN, MEMBER, VIEWER; the tests' PASSWORD): its base URL and its database."""
    url = f"sqlite:///{tmp / 'cloudfold.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLOUDFOLD_")}
    env.update(CLOUDFOLD_DATA_DIR=str(tmp / "data"), CLOUDFOLD_DATABASE_URL=url,
               CLOUDFOLD_RATE_LIMIT_AUTH="1000/minute", CLOUDFOLD_RATE_LIMIT_DEFAULT="100000/minute",
               CLOUDFOLD_AUTO_REGISTER_LOCAL="false", **env_extra)
    with serving(env, log_path=tmp / "serve.log") as base:
        run_cli(env, "user", "create", ADMIN, "--password", PASSWORD, "--admin")
        for email in (MEMBER, VIEWER):
            run_cli(env, "user", "create", email, "--password", PASSWORD)
        direct = DirectRuntime(url)
        with direct.sessions() as session:
            session.execute(update(User).where(User.email == VIEWER).values(role="viewer"))
            session.commit()
        try:
            yield base, direct
        finally:
            direct.engine.dispose()


@contextmanager
def local_cloud_server(tmp: Path, engine_socket: str) -> Iterator[str]:
    """`dashboard_server` with a local account on the tests' engine registered by ADMIN (so the
    admin makes the local cloud's objects), labelled for this session (`localcloud_support.LABELS`,
    this session's VPC pool): its base URL; the labelled engine objects are removed after."""
    with dashboard_server(tmp, CLOUDFOLD_LOCAL_VPC_POOL=POOL) as (base, _):
        key = httpx.post(base + "/auth/login", json={"email": ADMIN, "password": PASSWORD}).json()["api_key"]
        r = httpx.post(base + "/api/providers", headers={"X-API-Key": key},
                       json={"id": "podman", "provider_type": "local", "display_name": "Local engine",
                             "config": {"docker_host": engine_socket, "labels": LABELS}})
        assert r.status_code == 201, r.text
        try:
            yield base
        finally:
            remove_labelled(engine_socket, LABELS)


def page_opener(browser, base: str, width: int):
    """``open_as(email, width)``: a signed-in page in a context of its own, all closed after the
    test (``yield from`` it in a fixture)."""
    contexts = []

    def open_as(email: str, width: int = width):
        page = signed_in_page(browser, base, email, width)
        contexts.append(page.context)
        return page

    yield open_as
    for context in contexts:
        context.close()
