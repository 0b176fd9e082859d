"""The Local cloud page's VPC, subnet and volume forms in Debian's Chromium against a real
`cloudfold serve` and the real Podman engine, on a 375 px wide screen: the admin (whose
account it is: a registered provider is its registrant's) creates a VPC, a subnet in it and a
volume with the forms, sees each listed, then deletes the volume after confirming. Setup
outside the browser: the local account, labelled for this session (`localcloud_support.LABELS`)
so only the test's own engine objects are seen and removed."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import docker
import httpx
import pytest
from autoscaling_support import group_body
from conftest import PASSWORD
from localcloud_support import LABELS
from ui_support import ADMIN, local_cloud_server, serious_violations, signed_in_page


@pytest.fixture
def server(tmp_path, engine_socket) -> Iterator[str]:
    with local_cloud_server(tmp_path, engine_socket) as base:
        yield base


def engine_volumes(engine_socket: str) -> list[str]:
    """Names of the engine's volumes carrying this session's labels."""
    engine = docker.DockerClient(base_url=engine_socket, timeout=60)
    try:
        return [v.name for v in engine.volumes.list(filters={"label": [f"{k}={v}" for k, v in LABELS.items()]})]
    finally:
        engine.close()


def test_create_a_vpc_a_subnet_and_a_volume(browser, server, engine_socket):
    suffix = uuid.uuid4().hex[:6]
    vpc, subnet, volume = f"net-{suffix}", f"sub-{suffix}", f"data-{suffix}"
    page = signed_in_page(browser, server, ADMIN, width=375)
    try:
        page.click("nav >> text=Local cloud")
        page.wait_for_url("**/ui/local")
        page.fill("#vpc-name", vpc)
        page.click("#vpc-form button[type=submit]")
        page.locator("[data-vpc]", has_text=vpc).wait_for(timeout=30_000)
        assert page.url.endswith("/ui/local#networks")

        page.select_option("#subnet-vpc_id", label=page.locator("#subnet-vpc_id option", has_text=vpc).inner_text())
        page.fill("#subnet-name", subnet)
        page.fill("#subnet-cidr_block", "10.0.0.0/33")  # a bad range first: the API's message next to it
        page.click("#subnet-form button[type=submit]")
        error = page.locator("#subnet-cidr_block-error")
        error.wait_for(timeout=30_000)
        assert "not an IPv4 CIDR block" in error.inner_text()
        assert page.locator("#subnet-cidr_block").get_attribute("aria-invalid") == "true"
        assert page.locator("#subnet-name").input_value() == subnet  # what was typed is kept
        page.fill("#subnet-cidr_block", "")
        page.click("#subnet-form button[type=submit]")
        listed = page.locator("[data-vpc]", has_text=vpc).locator("[data-subnet]", has_text=subnet)
        listed.wait_for(timeout=60_000)

        page.fill("#volume-name", volume)
        page.fill("#volume-size_gb", "1")
        page.click("#volume-form button[type=submit]")
        row = page.locator("[data-volume]", has_text=volume)
        row.wait_for(timeout=60_000)
        assert "1 GB" in row.inner_text()
        assert any(name.startswith(f"{volume}-") for name in engine_volumes(engine_socket))
        assert page.evaluate("document.documentElement.scrollWidth") <= 375  # no sideways scrolling at 375 px
        assert serious_violations(page) == []

        page.once("dialog", lambda dialog: dialog.accept())  # ui.js asks before a destructive form
        row.locator("button[data-action=delete-volume]").click()
        page.locator("#volume-form").wait_for()
        row.wait_for(state="detached", timeout=60_000)
        assert not any(name.startswith(f"{volume}-") for name in engine_volumes(engine_socket))
        assert page.locator("[data-subnet]", has_text=subnet).count() == 1
        # the one console error is the refused subnet's answer (400), not a refused script or style
        assert [e for e in page.csp_errors if "status of 400" not in e] == [], page.csp_errors
    finally:
        page.context.close()


def test_a_group_made_elsewhere_appears_without_a_reload(browser, server):
    """The page follows the local cloud's service events too (`load_balancer`,
    `autoscaling.group`, `gateway_route`): a group made through the API shows up on the open
    page, and the page was not loaded again."""
    page = signed_in_page(browser, server, ADMIN)
    try:
        page.goto("/ui/local")
        page.locator("html[data-live=open]").wait_for(state="attached", timeout=30_000)
        page.evaluate("window.notReloaded = true")
        key = httpx.post(server + "/auth/login", json={"email": ADMIN, "password": PASSWORD}).json()["api_key"]
        r = httpx.post(server + "/autoscaling/groups", headers={"X-API-Key": key}, timeout=60,
                       json=group_body(min_size=0, desired_capacity=0))
        assert r.status_code == 201, r.text
        page.locator(f"[data-group='{r.json()['id']}']").wait_for(timeout=8_000)  # before other events
        assert page.evaluate("window.notReloaded") is True
    finally:
        page.context.close()
