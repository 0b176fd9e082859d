"""Helpers for the dashboard's tests: sign in through /ui/login like a browser (the form's
CSRF token read from the page), and records to look at."""

from __future__ import annotations

import re

from cloudfold.db.models import Account as ProviderAccount
from cloudfold.db.models import Resource

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
