"""The dashboard in a real browser: Debian's Chromium driven by Playwright against a real
`cloudfold serve` (its own SQLite database). Sign in, read the overview, filter the inventory,
and the server's refusals of a viewer's action and of a request without its CSRF token."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from conftest import PASSWORD
from ui_support import (
    page_opener,
    ADMIN,
    MEMBER,
    VIEWER,
    dashboard_server,
    serious_violations,
    shared_machine,
)


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[dict]:
    with dashboard_server(tmp_path_factory.mktemp("ui")) as (base, direct):
        key = httpx.post(base + "/auth/login", json={"email": MEMBER, "password": PASSWORD}).json()["api_key"]
        for i in range(40):
            body = {"name": f"{'db' if i % 4 == 0 else 'app'}-{i:02d}", "resource_type": "vm",
                    "status": "stopped" if i % 4 == 0 else "running", "region": "eu-1"}
            assert httpx.post(base + "/api/resources", json=body, headers={"X-API-Key": key}).status_code == 201
        machine = shared_machine(direct, "shared-web")
        yield {"base": base, "machine": machine}


@pytest.fixture
def page_of(browser, server):
    yield from page_opener(browser, server["base"], 1280)


def test_sign_in_and_see_the_overview(page_of):
    page = page_of(MEMBER, width=375)
    # the member's 40 machines and the shared engine's one (everyone sees a shared account's)
    assert page.locator("[data-figure=total]").inner_text() == "41"
    assert page.locator("[data-figure=running]").inner_text() == "31"
    assert page.locator("#by-kind-state tbody tr").count() == 3
    cookies = page.context.cookies()
    session = next(c for c in cookies if c["name"] == "cf_session")
    assert session["httpOnly"] and session["sameSite"] == "Lax"
    assert page.evaluate("document.cookie") == ""  # the session is out of the scripts' reach
    assert page.evaluate("Object.keys(localStorage).filter(k => k !== 'cloudfold-theme').length") == 0
    # readable at 375 px: nothing wider than the screen
    wide = page.evaluate("""[...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > 376).map(e => e.tagName + '#' + e.id + '.' + e.className)""")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375, wide
    page.goto("/ui/inventory")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # the table scrolls inside its box
    page.click("#theme-toggle")
    assert page.evaluate("document.documentElement.getAttribute('data-theme')") in ("dark", "light")
    assert page.csp_errors == []  # no script or style refused by the Content-Security-Policy, no error at all


def test_filter_the_inventory_without_reload(page_of):
    page = page_of(MEMBER)
    page.click("nav >> text=Inventory")
    page.wait_for_url("**/ui/inventory")
    assert page.locator("[data-total]").get_attribute("data-total") == "41"
    page.evaluate("window.__marker = 1")  # survives only if the page is not reloaded
    page.fill("input[name=status]", "stopped")
    page.press("input[name=status]", "Enter")
    page.locator("[data-total='10']").wait_for()
    assert page.evaluate("window.__marker") == 1  # htmx swapped the table in place
    assert "status=stopped" in page.url
    names = page.locator("#inventory tbody tr td:first-child").all_inner_texts()
    assert len(names) == 10 and all(n.startswith("db-") for n in names)
    page.click("#inventory tbody tr >> nth=0 >> a")
    page.wait_for_url("**/ui/machines/*")
    assert page.locator("#machine-state").inner_text() == "stopped"
    assert page.csp_errors == []


def test_viewer_sees_no_buttons_and_the_server_refuses(page_of, server):
    page = page_of(VIEWER)
    page.goto(f"/ui/machines/{server['machine']}")
    assert page.locator("h1").inner_text() == "shared-web"
    assert page.locator("[data-action]").count() == 0
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    r = page.request.post(f"/ui/machines/{server['machine']}/action", form={"action": "stop", "csrf_token": token})
    assert r.status == 403 and "Only an admin" in r.text()


def test_missing_csrf_token_is_refused(page_of, server):
    page = page_of(ADMIN)
    page.goto(f"/ui/machines/{server['machine']}")
    assert page.locator("[data-action=stop]").count() == 1  # an admin is offered the button
    # the form as a forged cross-site page would send it: no token
    # (nor the header htmx adds from <body hx-headers>)
    page.evaluate("""document.querySelector('form[action$="/action"] input[name=csrf_token]').remove();
        document.body.removeAttribute('hx-headers')""")
    page.on("dialog", lambda d: d.accept())
    page.click("[data-action=stop]")
    page.wait_for_load_state()
    assert "CSRF" in page.locator(".form-error").inner_text()
    page.goto(f"/ui/machines/{server['machine']}")
    assert page.locator("#machine-state").inner_text() == "running"  # nothing happened


def test_main_pages_have_no_serious_accessibility_violations(page_of, server, browser):
    page = page_of(ADMIN)
    for path in ["/ui", "/ui/inventory", f"/ui/machines/{server['machine']}"]:
        for theme in ("light", "dark"):
            page.goto(path)
            page.evaluate(f"document.documentElement.setAttribute('data-theme', '{theme}')")
            assert serious_violations(page) == [], (path, theme)
    signed_out = browser.new_page(base_url=server["base"])
    try:
        signed_out.goto("/ui/login")
        assert serious_violations(signed_out) == []
    finally:
        signed_out.close()


def test_machine_page_follows_changes_live(page_of, server):
    page = page_of(MEMBER)
    page.goto("/ui/inventory?status=stopped")
    page.click("#inventory tbody tr >> nth=0 >> a")
    page.wait_for_url("**/ui/machines/*")
    rid = page.url.rsplit("/", 1)[1]
    page.locator("html[data-live=open]").wait_for()
    page.evaluate("window.__marker = 1")
    key = httpx.post(server["base"] + "/auth/login", json={"email": MEMBER, "password": PASSWORD}).json()["api_key"]
    r = httpx.put(f"{server['base']}/api/resources/{rid}", json={"status": "running"}, headers={"X-API-Key": key})
    assert r.status_code == 200, r.text
    page.locator("#machine-state", has_text="running").wait_for(timeout=10_000)
    assert page.evaluate("window.__marker") == 1  # updated in place, not reloaded
