"""`GET /metrics`: Prometheus text exposition (`prometheus_client`), for admins or a scraper
holding `CLOUDFOLD_METRICS_SCRAPE_TOKEN` (as a Bearer token).

Two parts: this process's own request counters and latency histogram (`RequestMetrics`, per
process: Prometheus sums replicas), and gauges read from the database at each scrape (the same
whichever process answers): each live machine's latest sample, tasks by job and status,
accounts' sync failures and last sync result.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from cloudfold.api.deps import authenticate, credential_of, get_runtime
from cloudfold.api.errors import responses
from cloudfold.domain.metrics import gauges
from cloudfold.errors import Forbidden
from cloudfold.runtime import Runtime

router = APIRouter(tags=["metrics"], responses=responses(401, 403, 429))

PROCESS = CollectorRegistry()  # this process's request metrics
REQUESTS = Counter("cloudfold_http_requests", "HTTP requests answered", ["method", "route", "status"],
                   registry=PROCESS)
LATENCY = Histogram("cloudfold_http_request_duration_seconds", "HTTP request latency", ["method", "route"],
                    registry=PROCESS)
MACHINE_GAUGES = (("cpu_percent", "cpu_percent", "CPU in use, 100 = one core busy"),
                  ("memory_bytes", "memory_usage", "Memory in use"),
                  ("memory_percent", "memory_percent", "Memory in use, percent of the limit"),
                  ("network_receive_bytes_per_second", "net_in_rate", "Network receive rate"),
                  ("network_transmit_bytes_per_second", "net_out_rate", "Network transmit rate"),
                  ("disk_read_bytes_per_second", "disk_read_rate", "Disk read rate"),
                  ("disk_write_bytes_per_second", "disk_write_rate", "Disk write rate"))


class RequestMetrics:
    """ASGI middleware counting requests by method, route template and status."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), {"code": 500}

        async def sending(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            REQUESTS.labels(scope["method"], route, str(status["code"])).inc()
            LATENCY.labels(scope["method"], route).observe(time.perf_counter() - started)


class DatabaseCollector(Collector):
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def collect(self) -> Iterator[GaugeMetricFamily]:
        settings = self.runtime.settings
        with self.runtime.sessions() as session:
            found = gauges.machines(session, settings.metrics_sample_seconds * 4 + 60)
            tasks, accounts = gauges.tasks(session), gauges.accounts(session)
        labels = ["vmid", "name", "kind", "provider"]
        for name, field, text in MACHINE_GAUGES:
            family = GaugeMetricFamily(f"cloudfold_machine_{name}", text, labels=labels)
            for f in found:
                value = f.figures.get(field)
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    family.add_metric([str(f.vmid), f.machine.name, f.machine.kind, f.machine.provider], value,
                                      timestamp=f.at.timestamp())
            yield family
        family = GaugeMetricFamily("cloudfold_tasks", "Tasks kept, by job and status", labels=["job", "status"])
        for job, status, count in tasks:
            family.add_metric([job, status], count)
        yield family
        failures = GaugeMetricFamily("cloudfold_account_sync_failures", "Consecutive failed syncs", labels=["account"])
        ok = GaugeMetricFamily("cloudfold_account_last_sync_ok", "1 when the last sync succeeded", labels=["account"])
        for a in accounts:
            failures.add_metric([a.slug], a.sync_failures or 0)
            ok.add_metric([a.slug], 1 if a.last_sync_status == "succeeded" else 0)
        yield failures
        yield ok


async def scraper(request: Request) -> None:
    """The scrape token (as a Bearer token), else an admin's credential."""
    token = request.app.state.runtime.settings.metrics_scrape_token
    credential = credential_of(request)
    if token and credential and hmac.compare_digest(credential.encode(), token.encode()):
        return
    principal = await authenticate(request)
    if "admin" not in principal.scopes:
        raise Forbidden("This needs the 'admin' scope or the scrape token")


scraper.authenticates = True  # type: ignore[attr-defined]  (api/route_auth: the index and OpenAPI security)
scraper.scope = "admin"  # type: ignore[attr-defined]  (admin, or the scrape token)


def _exposition(runtime: Runtime) -> bytes:
    database = CollectorRegistry()
    database.register(DatabaseCollector(runtime))
    return generate_latest(PROCESS) + generate_latest(database)


@router.get("/metrics", summary="Prometheus metrics", dependencies=[Depends(scraper)],
            response_class=Response, responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}})
async def metrics(runtime: Runtime = Depends(get_runtime)) -> Response:
    return Response(await run_in_threadpool(_exposition, runtime), media_type=CONTENT_TYPE_LATEST)
