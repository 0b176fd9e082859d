"""The dashboard's remaining pages in a real browser (Debian's Chromium, Playwright, the
session's one browser) against a real `cloudfold serve` and moto's server: add an AWS account
with the form, test it and watch its sync finish live; create a key (shown once) and revoke it
after confirming; filter the audit log in place; acknowledge an alert and read a machine's
charts; read this month's cost chart; the local cloud's lists; a viewer sees no buttons; every
page readable at 375 px with no CSP error and no serious axe-core violation. The screenshots
in docs/screenshots/ are taken here."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone

import boto3
import httpx
import pytest
from conftest import PASSWORD
from moto_server import moto_url  # noqa: F401  (the session's moto server)
from sqlalchemy import select
from ui_support import (
    page_opener,
    ADMIN,
    MEMBER,
    SHOTS,
    VIEWER,
    dashboard_server,
    serious_violations,
)

from cloudfold.db.models import (
    Alert,
    AlertRule,
    CostRecord,
    Monitor,
    MonitorCheck,
    User,
)
from cloudfold.domain.metrics import store

PAGES = ["/ui/accounts", "/ui/settings", "/ui/audit", "/ui/monitoring", "/ui/costs", "/ui/local"]


def _seed(base: str, direct) -> dict:
    """A member's machine with samples, a firing alert on it, a monitor with checks, costs."""
    key = httpx.post(base + "/auth/login", json={"email": MEMBER, "password": PASSWORD}).json()["api_key"]
    r = httpx.post(base + "/api/resources", json={"name": "api-1", "resource_type": "vm", "status": "running"},
                   headers={"X-API-Key": key})
    assert r.status_code == 201, r.text
    rid = int(r.json()["id"])
    now = datetime.now(timezone.utc)
    with direct.sessions() as session:
        member = session.scalar(select(User.id).where(User.email == MEMBER))
        start = now - timedelta(minutes=50)
        store.ingest(session, [store.Reading(rid, start + timedelta(minutes=i), {
            "cpu_percent": 20 + (i % 7) * 5, "mem_bytes": (100 + i) * 2**20, "mem_limit_bytes": 400 * 2**20,
            "net_in_bytes": 5000 * i, "net_out_bytes": 2000 * i, "disk_read_bytes": 100 * i,
            "disk_write_bytes": 300 * i}) for i in range(45)])
        rule = AlertRule(owner_id=member, name="cpu high", kind="cpu_above", params={"threshold": 10},
                         resource_id=rid, severity="critical", enabled=False)  # its alert stays as written
        session.add(rule)
        session.flush()
        session.add(Alert(rule_id=rule.id, owner_id=member, target_key=f"resource:{rid}", target_name="api-1",
                          resource_id=rid, status="firing", value=42.0, detail="CPU 42 % above 10 %"))
        monitor = Monitor(owner_id=member, kind="http", name="status page", target="https://1.1.1.1/", config={},
                          interval_seconds=60, timeout_seconds=5, retries=0, enabled=False, state="up",
                          last_latency_ms=21.0, next_due_at=now + timedelta(days=1))
        session.add(monitor)
        session.flush()
        for i in range(20):
            session.add(MonitorCheck(monitor_id=monitor.id, time=now - timedelta(minutes=20 - i), ok=i != 7,
                                     latency_ms=15 + (i * 7) % 20))
        for back in range(min(date.today().day, 10)):
            for provider, service, amount in (("aws", "EC2", 3.5), ("local", "compute", 1.25)):
                session.add(CostRecord(provider=provider, day=date.today() - timedelta(days=back), service=service,
                                       source="manual", amount_micros=round((amount + back) * 1e6),
                                       currency="USD", priced=True, owner_id=member, detail={}))
        session.commit()
    return {"machine": rid}


@pytest.fixture(scope="module")
def server(tmp_path_factory, moto_url) -> Iterator[dict]:  # noqa: F811
    ec2 = boto3.client("ec2", endpoint_url=moto_url, region_name="us-east-1", aws_access_key_id="AK",
                       aws_secret_access_key="SK")
    image = ec2.describe_images()["Images"][0]["ImageId"]
    ec2.run_instances(ImageId=image, MinCount=3, MaxCount=3, InstanceType="t3.micro")
    with dashboard_server(tmp_path_factory.mktemp("ui-pages"), CLOUDFOLD_ALERT_EVAL_SECONDS="1",
                          CLOUDFOLD_ALERT_GROUP_WAIT_SECONDS="0") as (base, direct):
        yield {"base": base, "moto": moto_url, **_seed(base, direct)}


@pytest.fixture
def page_of(browser, server):
    yield from page_opener(browser, server["base"], 1100)


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def test_add_an_aws_account_test_it_and_watch_its_sync(page_of, server):
    page = page_of(ADMIN)
    page.click("nav >> text=Accounts")
    page.wait_for_url("**/ui/accounts")
    page.click("text=add one") if page.locator("#no-accounts").count() else page.click("#add-account")
    page.wait_for_url("**/ui/accounts/new")
    assert page.locator("#cred_access_key").count() == 1 and page.locator("#cfg_endpoint_url").count() == 1
    page.click("#account-form button[type=submit]")  # nothing filled in: the errors sit next to their fields
    page.locator("#display_name-error").wait_for()
    page.csp_errors.clear()  # the browser logs that 400 answer itself
    page.fill("#display_name", "Moto AWS")
    page.fill("#id", "moto-aws")
    page.fill("#region", "us-east-1")
    page.fill("#cred_access_key", "AK")
    page.fill("#cred_secret_key", "SK")
    page.fill("#cfg_endpoint_url", server["moto"])
    page.click("#account-form button[type=submit]")
    page.wait_for_url("**/ui/accounts/moto-aws")
    page.click("[data-action=test]")
    page.locator("#account-health", has_text=re.compile(r"^(healthy|degraded)$")).wait_for()  # degraded: slow
    page.click("[data-action=sync]")
    page.locator("#sync-task[data-status=succeeded]").wait_for(timeout=60_000)  # re-read live, no reload
    assert page.locator("#sync-status").inner_text() == "succeeded"
    shot(page, "account")
    page.goto("/ui/inventory?provider=aws&kind=vm")
    assert int(page.locator("[data-total]").get_attribute("data-total")) == 3
    page.goto("/ui/accounts")
    assert page.locator("#accounts", has_text="Moto AWS").count() == 1
    shot(page, "accounts")
    assert page.csp_errors == []


def test_create_a_key_shown_once_and_revoke_it_after_confirming(page_of):
    page = page_of(MEMBER)
    page.goto("/ui/settings")
    page.fill("#name", "deploy bot")
    page.click("#create-key button[type=submit]")
    secret = page.locator("#new-key-value").inner_text()
    assert httpx.get(page.url.split("/ui")[0] + "/api/providers", headers={"X-API-Key": secret}).status_code == 200
    shot(page, "settings")
    page.goto("/ui/settings")
    assert page.locator("#new-key-value").count() == 0 and secret not in page.content()
    row = page.locator("#keys tr", has_text="deploy bot")
    page.once("dialog", lambda d: d.dismiss())
    row.locator("[data-action=revoke]").click()
    assert page.locator("#keys tr", has_text="deploy bot").count() == 1  # not confirmed: nothing happened
    page.once("dialog", lambda d: d.accept())
    row.locator("[data-action=revoke]").click()
    page.wait_for_load_state()
    page.locator("#keys tr", has_text="deploy bot").wait_for(state="detached")
    assert httpx.get(page.url.split("/ui")[0] + "/api/providers", headers={"X-API-Key": secret}).status_code == 401


def test_filter_the_audit_log_in_place(page_of):
    page = page_of(ADMIN)
    page.goto("/ui/audit")
    page.evaluate("window.__marker = 1")
    page.fill("input[name=action]", "apikey.login")
    page.press("input[name=action]", "Enter")
    page.wait_for_url("**action=apikey.login**")
    page.wait_for_function("""() => { const cells = [...document.querySelectorAll('#audit tbody td:nth-child(3)')];
        return cells.length > 0 && cells.every(c => c.textContent === 'apikey.login'); }""")
    assert page.evaluate("window.__marker") == 1  # swapped in place
    page.fill("input[name=actor]", "nobody-here")
    page.press("input[name=actor]", "Enter")
    page.locator("[data-total='0']").wait_for()
    page.goto("/ui/audit")
    shot(page, "audit")


def test_acknowledge_an_alert_and_read_a_machines_charts(page_of, server):
    page = page_of(MEMBER)
    page.goto("/ui/monitoring")
    page.locator("#monitors [data-spark][data-drawn]").wait_for()  # the latency sparkline, drawn by uPlot
    assert "95.00 %" in page.locator("#monitors").inner_text()
    shot(page, "monitoring")
    page.click("#alerts [data-action=ack]")
    page.locator("#alerts [data-acked]").wait_for()
    assert page.locator("#alerts [data-action=ack]").count() == 0
    page.click("#alerts a")  # the alert's machine: its charts
    page.wait_for_url(f"**/ui/monitoring/machines/{server['machine']}")
    for chart in ("cpu", "memory", "network", "disk"):
        page.locator(f"#chart-{chart}[data-drawn]").wait_for()
    assert int(page.locator("#chart-cpu").get_attribute("data-drawn")) >= 40
    shot(page, "charts")
    # live: a change of the machine re-reads the open charts in place (the /ui/live stream)
    page.locator("html[data-live=open]").wait_for()
    page.evaluate("window.__marker = 1; document.getElementById('chart-cpu').removeAttribute('data-drawn')")
    key = httpx.post(server["base"] + "/auth/login", json={"email": MEMBER, "password": PASSWORD}).json()["api_key"]
    r = httpx.put(f"{server['base']}/api/resources/{server['machine']}", json={"status": "stopped"},
                  headers={"X-API-Key": key})
    assert r.status_code == 200, r.text
    page.locator("#chart-cpu[data-drawn]").wait_for(timeout=10_000)
    assert page.evaluate("window.__marker") == 1
    page.click("nav[aria-label='Time range'] >> text=24h")
    page.wait_for_url("**range=24h")
    page.locator("#chart-cpu[data-drawn]").wait_for()
    assert page.csp_errors == []


def test_a_new_alert_appears_on_the_open_page(page_of, server):
    page = page_of(MEMBER)
    page.goto("/ui/monitoring")
    page.locator("html[data-live=open]").wait_for()
    page.evaluate("window.__marker = 1")
    base, key = server["base"], httpx.post(server["base"] + "/auth/login",
                                           json={"email": MEMBER, "password": PASSWORD}).json()["api_key"]
    h = {"X-API-Key": key}
    worker = httpx.post(base + "/api/resources", json={"name": "worker-1", "resource_type": "vm", "status": "running"},
                        headers=h).json()["id"]
    r = httpx.post(base + "/api/alert-rules", json={"name": "worker down", "kind": "not_running",
                                                    "resource_id": worker, "open_after": 1}, headers=h)
    assert r.status_code == 201, r.text
    assert httpx.put(f"{base}/api/resources/{worker}", json={"status": "stopped"}, headers=h).status_code == 200
    page.locator("#alerts tr", has_text="worker down").wait_for(timeout=20_000)  # opened by the evaluator, told live
    assert page.evaluate("window.__marker") == 1


def test_read_this_months_cost(page_of):
    page = page_of(MEMBER)
    page.goto("/ui/costs")
    page.locator("#cost-by-day[data-drawn]").wait_for()
    assert float(page.locator("[data-figure=this-month]").inner_text()) > 0
    assert page.locator("#by-provider tbody tr").count() == 2
    shot(page, "costs")


def test_local_cloud_lists(page_of):
    page = page_of(ADMIN)
    page.goto("/ui/local")
    page.locator("#launch #template:not([hx-get])").wait_for()  # its choices, loaded after the page
    # (launching itself: tests/test_ui_local.py, on Podman)
    assert page.locator("main h2").all_inner_texts()[:3] == ["Instances", "VPCs and subnets", "Volumes"]
    shot(page, "local")


def test_viewer_sees_no_buttons(page_of):
    page = page_of(VIEWER)
    for path in PAGES:
        page.goto(path)
        assert page.locator("main [data-action], #add-account, #create-key, #launch").count() == 0, path
    page.goto("/ui/accounts/moto-aws")
    assert page.locator("[data-action=sync], #edit").count() == 0


def test_pages_at_375px_accessible_and_within_the_csp(page_of, server):
    page = page_of(ADMIN, width=375)
    for path in [*PAGES, "/ui/accounts/new", "/ui/accounts/moto-aws", f"/ui/monitoring/machines/{server['machine']}"]:
        page.goto(path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 375, path
        for theme in ("light", "dark"):
            page.evaluate(f"document.documentElement.setAttribute('data-theme', '{theme}')")
            assert serious_violations(page) == [], (path, theme)
    assert page.csp_errors == []
