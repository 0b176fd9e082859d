"""Finding a machine by part of its name or provider id: seed 002's listings take `search`
(cloudfold's extension) and the dashboard's inventory its search box, both through the one
inventory filter — any case, LIKE's wildcards taken literally, the total counted over the
matches, only what the caller may see, bad input refused."""

from __future__ import annotations

import pytest
from conftest import assert_error
from ui_support import signed_in

pytestmark = pytest.mark.database  # ILIKE on PostgreSQL, lower() LIKE on SQLite


def _make(account, name: str, external_id: str | None = None) -> None:
    r = account.client.post("/api/resources", json={"name": name, "resource_type": "vm", "status": "running",
                                                    "external_id": external_id}, headers=account.headers)
    assert r.status_code == 201, r.text


def _names(account, search: str) -> tuple[list[str], str]:
    r = account.client.get("/inventory/vms", params={"search": search}, headers=account.headers)
    assert r.status_code == 200, r.text
    return sorted(i["resource_name"] for i in r.json()), r.headers["X-Total-Count"]


def test_search_by_name_or_id_any_case_wildcards_literal(client, member, make_account):
    for name, ext in (("shop-web-1", "i-0abc"), ("Shop-Web-2", "i-0def"), ("billing-db", "i-0SHOPX"),
                      ("100%-cpu", None), ("under_score", None), ("underXscore", None)):
        _make(member, name, ext)
    assert _names(member, "shop-web") == (["Shop-Web-2", "shop-web-1"], "2")
    assert _names(member, "SHOP") == (["Shop-Web-2", "billing-db", "shop-web-1"], "3")  # the id matches too
    assert _names(member, "%") == (["100%-cpu"], "1")
    assert _names(member, "under_") == (["under_score"], "1")
    assert _names(member, "  i-0def ") == (["Shop-Web-2"], "1")
    assert _names(member, "nothing") == ([], "0")
    other = make_account()
    _make(other, "shop-web-theirs")
    assert _names(member, "shop-web")[0] == ["Shop-Web-2", "shop-web-1"]  # never another member's
    assert _names(other, "shop-web") == (["shop-web-theirs"], "1")


def test_bad_searches_are_refused(client, member):
    assert_error(member.client.get("/inventory/vms", params={"search": "a\x00b"}, headers=member.headers),
                 400, "BAD_REQUEST")
    assert_error(member.client.get("/inventory/vms", params={"search": "x" * 101}, headers=member.headers),
                 422, "BAD_REQUEST")  # seed 002 documents 422 for what its schema refuses


def test_the_dashboards_search_box(client, member):
    _make(member, "needle-42")
    _make(member, "haystack-1")
    signed_in(client, member)  # the dashboard's cookie session on this client
    page = client.get("/ui/inventory", params={"q": "NEEDLE"})
    assert page.status_code == 200 and "needle-42" in page.text and "haystack-1" not in page.text
    assert 'name="q" value="NEEDLE"' in page.text
