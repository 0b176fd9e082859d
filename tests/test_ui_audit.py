"""The Audit log page over HTTP: filters by actor, action, target, result and time (the same
filters `GET /monitor/audit` now takes), server-side pagination, and the API's visibility
(a member sees only their own events, an admin everyone's)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient
from ui_support import manual_resources, signed_in

pytestmark = pytest.mark.database  # the filters are SQL (LIKE with escapes, time bounds): PostgreSQL too


def rows(html: str) -> int:
    return html.split('<tbody>', 1)[1].split('</tbody>', 1)[0].count("<tr>") if "<tbody>" in html else 0


def test_filters_and_pages(client, member):
    ids = manual_resources(member, [f"a-{i}" for i in range(52)])
    signed_in(client, member)
    page = client.get("/ui/audit", params={"action": "resource.create"})
    assert page.status_code == 200 and 'data-total="52"' in page.text and "page 1 of 2" in page.text
    assert rows(page.text) == 50 and 'rel="next"' in page.text and "action=resource.create" in page.text
    second = client.get("/ui/audit", params={"action": "resource.create", "page": 2}).text
    assert rows(second) == 2 and 'rel="prev"' in second
    target = client.get("/ui/audit", params={"target": f"resource:{ids[7]}"}).text
    assert 'data-total="1"' in target
    mine = client.get("/ui/audit", params={"actor": member.email.split("@")[0]}).text
    assert "resource.create" in mine
    assert 'data-total="0"' in client.get("/ui/audit", params={"actor": "nobody-at-all"}).text
    assert 'data-total="0"' in client.get("/ui/audit", params={"actor": "%"}).text  # a part, not a pattern
    assert 'data-total="0"' in client.get("/ui/audit", params={"result": "blocked"}).text
    future = (datetime.now(timezone.utc) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    past = (datetime.now(timezone.utc) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    assert 'data-total="0"' in client.get("/ui/audit", params={"since": future}).text
    assert 'data-total="52"' in client.get("/ui/audit", params={"since": past, "until": future,
                                                                  "action": "resource.create"}).text
    assert "No event matches" in client.get("/ui/audit", params={"since": future}).text
    # the API answers the same filters
    api = client.get("/monitor/audit", params={"action": "resource.create", "since": past, "limit": 1},
                     headers=member.headers).json()
    assert api["total"] == 52
    api = client.get("/monitor/audit", params={"target": f"resource:{ids[7]}"}, headers=member.headers).json()
    assert api["total"] == 1 and api["events"][0]["target"] == f"resource:{ids[7]}"


def test_bad_filters_are_refused(client, member):
    signed_in(client, member)
    for params in ({"result": "maybe"}, {"since": "yesterday"}, {"page": 0}, {"actor": "x" * 401}):
        r = client.get("/ui/audit", params=params)
        assert r.status_code == 400 and "Invalid input" in r.text, params
    assert client.get("/monitor/audit", params={"since": "nope"}, headers=member.headers).status_code in (400, 422)


def test_members_see_their_own_events_admins_all(client, member, make_account, admin):
    manual_resources(member, ["secret-thing"])
    other = TestClient(client.app, raise_server_exceptions=False)
    signed_in(other, make_account("member"))
    page = other.get("/ui/audit", params={"action": "resource.create"}).text
    assert 'data-total="0"' in page and member.email not in page
    signed_in(client, admin)
    assert member.email in client.get("/ui/audit", params={"action": "resource.create"}).text
    assert TestClient(client.app).get("/ui/audit", follow_redirects=False).status_code == 303
