"""Issue 12's done-when as one test, in Debian's Chromium against a real `cloudfold serve`, the
real Podman engine and moto's server: sign in; add the local engine and an AWS account through
the Accounts form and watch each sync finish on the page; find one container among thousands
of machines with the inventory's filters and search box; stop it with its button and see its state change in
place (no reload); see its CPU chart and the alert for it; read this month's cost.

Setup a new user would not do happens outside the browser: moto seeded with 2,000 EC2
instances and a month of Cost Explorer results, and a labelled busybox container on Podman.
Every step the user takes is a click or a keystroke on a page, the `not_running` alert rule
for the machine too (made with the Monitoring page's form): no curl."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import boto3
import pytest
from costs_support import TODAY, seed_ce
from moto_server import moto, moto_url  # noqa: F401  (the session's moto server, emptied for this test)
from ui_support import ADMIN, SHOTS, dashboard_server, signed_in_page

SEEDED = 2000  # EC2 instances in moto: the thousands the machine is found among


@pytest.fixture
def server(tmp_path, moto):  # noqa: F811
    moto_url = moto  # emptied: only this test's thousands (other tests' leave the account's first sync slow)
    ec2 = boto3.client("ec2", endpoint_url=moto_url, region_name="us-east-1", aws_access_key_id="AK",
                       aws_secret_access_key="SK")
    image = ec2.describe_images()["Images"][0]["ImageId"]
    for _ in range(SEEDED // 1000):
        ec2.run_instances(ImageId=image, MinCount=1000, MaxCount=1000, InstanceType="t3.micro")
    seed_ce(moto_url, days=(max(TODAY - timedelta(days=1), TODAY.replace(day=1)), TODAY))  # this month's
    with dashboard_server(tmp_path, CLOUDFOLD_METRICS_SAMPLE_SECONDS="5", CLOUDFOLD_ALERT_EVAL_SECONDS="1",
                          CLOUDFOLD_ALERT_GROUP_WAIT_SECONDS="0", CLOUDFOLD_SCHEDULE_TICK_SECONDS="2") as (base, _):
        yield {"base": base, "moto": moto_url}


def add_account(page, provider_type: str, slug: str, name: str, fields: dict[str, str]) -> None:
    """Accounts → add → the provider's tab → fill in → the account's page → Sync, watched live."""
    page.click("nav >> text=Accounts")
    page.wait_for_url("**/ui/accounts")
    page.click("text=add one") if page.locator("#no-accounts").count() else page.click("#add-account")
    page.wait_for_url("**/ui/accounts/new**")
    page.click(f"nav[aria-label='Provider type'] a:text-is('{provider_type}')")
    page.locator(f"#account-form input[name=provider_type][value={provider_type}]").wait_for(state="attached")
    for field, value in {"display_name": name, "id": slug, **fields}.items():
        page.fill(f"#{field}", value)
    page.click("#account-form button[type=submit]")
    # generous deadlines: CI runs this beside the PostgreSQL suite and another worker on two cores
    page.wait_for_url(f"**/ui/accounts/{slug}", timeout=120_000)
    page.click("[data-action=sync]")
    page.locator("#sync-task[data-status=succeeded]").wait_for(timeout=180_000)  # re-read live, no reload


def test_done_when(browser, server, make_container, engine, engine_socket):
    name = f"cf-done-{uuid.uuid4().hex[:8]}"
    container = make_container(name=name)  # labelled with the session's TEST_LABELS
    page = signed_in_page(browser, server["base"], ADMIN)
    try:
        add_account(page, "local", "podman", "Local engine", {"cfg_docker_host": engine_socket})
        add_account(page, "aws", "moto-aws", "Moto AWS", {"region": "us-east-1", "cred_access_key": "AK",
                                                          "cred_secret_key": "SK", "cfg_endpoint_url": server["moto"]})
        page.click("nav >> text=Accounts")
        assert page.locator("#accounts", has_text="Local engine").count() == 1
        assert page.locator("#accounts", has_text="Moto AWS").count() == 1

        # the inventory: thousands of machines; the filters narrow them to the local containers, in place
        page.click("nav >> text=Inventory")
        page.wait_for_url("**/ui/inventory")
        assert int(page.locator("[data-total]").get_attribute("data-total")) > SEEDED
        page.evaluate("window.__marker = 1")
        page.select_option("select[name=kind]", "container")
        page.fill("input[name=provider]", "local")
        page.fill("input[name=q]", name.upper())  # the search box: part of a name, any case
        page.press("input[name=q]", "Enter")
        page.wait_for_url("**provider=local**")
        page.locator('[data-total="1"]').wait_for()  # the last of the in-place swaps: one match
        page.locator("#inventory a", has_text=name).wait_for()
        assert page.evaluate("window.__marker") == 1  # the table was swapped, the page not reloaded
        page.click(f"#inventory a:text-is('{name}')")
        page.wait_for_url("**/ui/machines/*")
        rid = int(page.url.rsplit("/", 1)[1])
        assert page.locator("#machine-state").inner_text() == "running"

        # a `not_running` rule for this machine, made with the Monitoring page's form (its id typed:
        # the form's machine list offers the first ones only), then back to the machine by its link
        page.click("nav >> text=Monitoring")
        page.wait_for_url("**/ui/monitoring")
        page.fill("#rule-form #name", f"{name} down")
        page.select_option("#rule-form #kind", "not_running")
        page.fill("#rule-form #resource_typed", str(rid))
        page.fill("#rule-form #open_after", "1")
        page.click("[data-action=create-rule]")
        page.wait_for_url("**/ui/monitoring#rules")
        page.click(f"#rule-list tr:has-text('{name} down') a[data-watches='{rid}']")
        page.wait_for_url(f"**/ui/machines/{rid}")
        assert page.locator("#machine-state").inner_text() == "running"

        # stop it with the button: asked to confirm, then the state changes in place
        page.locator("html[data-live=open]").wait_for()
        page.evaluate("window.__marker = 2")
        page.once("dialog", lambda d: d.accept())
        page.click("[data-action=stop]")
        page.locator("#machine-state", has_text="stopped").wait_for(timeout=30_000)
        assert page.evaluate("window.__marker") == 2  # no reload
        assert page.locator("[data-action=start]").count() == 1 and page.locator("[data-action=stop]").count() == 0
        container.reload()
        assert container.status == "exited"  # on the engine itself
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "machine.png"))

        # its CPU chart: the samples taken while it ran (every 5 s), drawn by uPlot
        page.click("#machine-charts")
        page.wait_for_url(f"**/ui/monitoring/machines/{rid}")
        page.wait_for_function("Number(document.querySelector('#chart-cpu')?.getAttribute('data-drawn')) >= 1",
                               timeout=30_000)

        # the alert for it, opened by the server's evaluator
        page.click("nav >> text=Monitoring")
        page.wait_for_url("**/ui/monitoring")
        page.locator("#alerts tr", has_text=name).wait_for(timeout=20_000)

        # this month's cost, from the AWS account's spending sync (Cost Explorer on moto)
        page.click("nav >> text=Costs")
        page.wait_for_url("**/ui/costs")
        deadline = time.monotonic() + 120
        while float(page.locator("[data-figure=this-month]").inner_text()) <= 0 and time.monotonic() < deadline:
            time.sleep(1)
            page.reload()  # the spending sync runs on the schedule; the page is read again as a user would
        assert float(page.locator("[data-figure=this-month]").inner_text()) > 0
        assert page.csp_errors == []
    finally:
        page.context.close()
