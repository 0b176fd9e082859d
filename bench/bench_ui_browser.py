#!/usr/bin/env python
"""The inventory page over 100,000 resources in a real browser (Debian's Chromium driven by
Playwright, headless), against the raw API call for the same page of data fetched from the
same browser (`fetch()` in the page: the floor). p50 over --loads loads of:

- first useful paint: from navigation start to the frame after the table's first row is in the
  document (two `requestAnimationFrame`s after it appears: the frame that shows it); floor: a
  `fetch()` + `json()` of `/api/resources?resource_type=vm&limit=100` from the loaded page;
- first filtered result: from the Enter key in the filter form (cloud "aws" typed, state
  "running" already in its field) to the frame after htmx swapped in a table of only aws
  running rows; floor:
  `fetch()` + `json()` of `/inventory/vms?provider=aws&status=running&limit=100`.

    python bench/bench_ui_browser.py [--resources N] [--loads L]

The server and database are bench_ui_inventory.py's (`served_inventory`, seeded by
bench_inventory.populate). Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys

import common
from bench_ui_inventory import served_inventory

CHROMIUM = "/usr/bin/chromium"  # Debian's; Playwright's own browser download is not reachable here
PAGE = "/ui/inventory?kind=vm&size=100"
FLOORS = {"paint": "/api/resources?resource_type=vm&limit=100",
          "filter": "/inventory/vms?provider=aws&status=running&limit=100"}

# injected before the page's own scripts (Playwright's init script: outside the page's CSP)
FIRST_ROW = """(() => {
  const seen = () => document.querySelector('#inventory tbody tr');
  const done = () => requestAnimationFrame(() => requestAnimationFrame(() => {
    window.__firstRowMs = performance.now();  // ms since navigation start
  }));
  new MutationObserver((_, obs) => { if (seen()) { obs.disconnect(); done(); } })
    .observe(document, {childList: true, subtree: true});
})();"""

WATCH_SWAP = """() => {
  const old = document.querySelector('#inventory-results');
  window.__filtered = new Promise(resolve => {
    const obs = new MutationObserver(() => {
      const now = document.querySelector('#inventory-results');
      const rows = now && now !== old ? [...now.querySelectorAll('#inventory tbody tr')] : [];
      if (rows.length && rows.every(r => r.cells[2].textContent === 'aws' && r.cells[4].textContent.trim() === 'running')) {
        obs.disconnect();
        requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now() - window.__t0)));
      }
    });
    obs.observe(document.body, {childList: true, subtree: true});
  });
  document.querySelector('input[name=provider]').addEventListener('keydown', e => {
    if (e.key === 'Enter') window.__t0 = performance.now();
  }, {once: true, capture: true});
}"""

FETCH = """async ([path, key]) => {
  const t0 = performance.now();
  const r = await fetch(path, {headers: {'X-API-Key': key}});
  const body = await r.json();
  if (!r.ok) throw new Error(path + ' -> ' + r.status);
  return [performance.now() - t0, Array.isArray(body) ? body.length : (body.items || body.vms || []).length];
}"""


def sign_in(context, base: str) -> None:
    page = context.new_page()
    page.goto(base + "/ui/login")
    page.fill("#email", common.EMAIL)
    page.fill("#password", common.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/ui")
    page.close()


def one_load(context, base: str, api_key: str) -> dict[str, float]:
    page = context.new_page()
    try:
        page.goto(base + PAGE)
        page.wait_for_function("window.__firstRowMs !== undefined")
        paint = page.evaluate("window.__firstRowMs")
        floor_paint, _ = page.evaluate(FETCH, [FLOORS["paint"], api_key])
        # the state field holds "running" already (set without events: leaving a field typed in
        # fires `change`, which the form also filters on); the cloud "aws" is typed, then Enter
        page.evaluate("document.querySelector('input[name=status]').value = 'running'")
        page.evaluate(WATCH_SWAP)
        page.fill("input[name=provider]", "aws")
        page.press("input[name=provider]", "Enter")
        filtered = page.evaluate("window.__filtered")
        if not math.isfinite(filtered) or "provider=aws" not in page.url:
            raise RuntimeError(f"the filter did not apply: {page.url} ({filtered})")
        floor_filter, _ = page.evaluate(FETCH, [FLOORS["filter"], api_key])
        return {"paint": paint, "floor_paint": floor_paint, "filter": filtered, "floor_filter": floor_filter}
    finally:
        page.close()


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--resources", type=int, default=100_000)
    p.add_argument("--loads", type=int, default=10)
    args = p.parse_args()
    from playwright.sync_api import sync_playwright

    def log(*a):
        print(*a, file=sys.stderr, flush=True)

    load_before = common.loadavg()
    with served_inventory(args.resources, log) as (base, api_key), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            context.add_init_script(FIRST_ROW)
            sign_in(context, base)
            one_load(context, base, api_key)  # warm-up: caches, the server's first queries
            loads = [one_load(context, base, api_key) for _ in range(args.loads)]
        finally:
            browser.close()
    mid = {k: statistics.median(x[k] for x in loads) for k in loads[0]}
    m = common.machine()
    print(f"machine: {m.get('cpu', '?')}, {m['nproc']} CPU, {m['platform']}; "
          f"load average (1/5/15 min) before {load_before}, after {common.loadavg()}")
    print(f"| {args.resources:,} resources, p50 of {args.loads} loads | browser ms | floor: fetch() of the API ms | ratio |")
    print("|---|---:|---:|---:|")
    for what, key in (("first useful paint (first row shown)", "paint"), ("first filtered result", "filter")):
        print(f"| {what} | {mid[key]:.1f} | {mid['floor_' + key]:.1f} | {mid[key] / mid['floor_' + key]:.1f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
