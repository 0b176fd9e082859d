"""The Local cloud page's launch form in Debian's Chromium against a real `cloudfold serve` and
the real Podman engine: the admin (whose account it is: a registered provider is its
registrant's) picks the busybox template (its choices loaded after the page
shows), names the instance and gives it a command, launches it, lands on its machine page
running, and sees it listed on Local cloud. Setup outside the browser: the local account,
labelled for this session (`localcloud_support.LABELS`) so only the test's own objects are
seen and removed."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from ui_support import ADMIN, local_cloud_server, signed_in_page


@pytest.fixture
def server(tmp_path, engine, engine_socket) -> Iterator[str]:  # `engine` builds the busybox image
    with local_cloud_server(tmp_path, engine_socket) as base:
        yield base


def test_launch_an_instance_from_a_template(browser, server):
    name = f"ui-launch-{uuid.uuid4().hex[:6]}"
    page = signed_in_page(browser, server, ADMIN)
    try:
        page.click("nav >> text=Local cloud")
        page.wait_for_url("**/ui/local")
        page.locator("#no-instances, #launch").first.wait_for()
        busybox = page.locator("#template option[value^=busybox]").first
        busybox.wait_for(state="attached", timeout=30_000)  # the engine's images, loaded after the page
        page.fill("#launch #name", name)
        page.select_option("#template", busybox.get_attribute("value"))
        page.fill("#launch #command", "sleep 300")
        page.click("#launch button[type=submit]")
        page.locator("#machine-state, .field-error, .form-error").first.wait_for(timeout=60_000)
        assert "/ui/machines/" in page.url, page.locator("main").inner_text()  # else the form's error
        rid = page.url.rsplit("/", 1)[1]
        assert page.locator("#machine-state").inner_text() == "running"

        page.click("nav >> text=Local cloud")
        page.wait_for_url("**/ui/local")
        row = page.locator("[data-instance]", has_text=name)
        assert row.count() == 1 and "running" in row.inner_text()
        assert row.locator("a").get_attribute("href") == f"/ui/machines/{rid}"
        assert page.csp_errors == []
    finally:
        page.context.close()
