"""The FastAPI application: middleware, error handlers and one router per API family."""

from __future__ import annotations

import gc
import re
from contextlib import asynccontextmanager

from asgi_correlation_id import CorrelationIdMiddleware
from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles

from cloudfold import __version__
from cloudfold.api import errors, openapi_auth
from cloudfold.api.faces import (
    alerts,
    apikeys,
    audit,
    auth_login,
    auth_users,
    containers,
    containers_read,
    credentials,
    dashboard,
    health,
    index,
    instances,
    inventory,
    domains,
    invitations,
    monitor_checks,
    monitors,
    node,
    providers,
    quotas,
    resources,
    services,
    settings as settings_face,
    tasks,
    templates,
    topology,
    vms,
    volumes,
    vpcs,
    ws,
)
from cloudfold.api.faces import analytics, monitor_usage, prometheus, ws_proxicloud  # issue 10: metrics
from cloudfold.api.faces import billing, cost, spending  # issue 11: the cost core
from cloudfold.api.faces import budgets, lockdown  # issue 11: budgets and lockdown
from cloudfold.api.faces import autoscaling  # issue 13: autoscaling groups
from cloudfold.api.faces import loadbalancers, routes_gateway  # issue 13: load balancers, the gateway
from cloudfold.api.faces import caches  # issue 13: caches
from cloudfold.api.middleware.body_limit import BodyLimitMiddleware
from cloudfold.api.middleware.url_guard import UrlGuardMiddleware
from cloudfold.api.middleware.idempotency import IdempotencyMiddleware
from cloudfold.runtime import Runtime
from cloudfold.settings import Settings
from cloudfold.web import STATIC_DIR, STATIC_URL, api_docs, live, pages, pages_auth  # issue 12: pages from the package
from cloudfold.web import (  # issue 12: the dashboard's other pages, one module each
    pages_accounts,
    pages_audit,
    pages_costs,
    pages_keys,
    pages_local,
    pages_local_forms,
    pages_monitoring,
)

PAGE_ROUTERS = [pages_accounts, pages_keys, pages_audit, pages_costs, pages_monitoring, pages_local, pages_local_forms]

# Routes are matched in this order, one by one: the most requested come first (probes, then
# the authenticated read path: keys, inventory pages, resources, dashboard). No two families
# share a path, so the order changes only what a request costs, never which route answers.
ROUTERS = [health, apikeys, inventory, resources, dashboard, index, auth_login, auth_users, invitations, audit, tasks,
           providers, credentials, vms, containers, containers_read, node, services, topology, templates,
           settings_face, instances, vpcs, volumes, quotas, ws, alerts]
ROUTERS += [analytics, monitor_usage, prometheus, ws_proxicloud]  # issue 10: metrics
ROUTERS += [monitors, monitor_checks, domains]  # issue 10: monitors
ROUTERS += [billing, cost, spending]  # issue 11: the cost core
ROUTERS += [budgets, lockdown]  # issue 11: budgets and lockdown
ROUTERS += [autoscaling]  # issue 13: autoscaling groups
ROUTERS += [loadbalancers, routes_gateway]  # issue 13: load balancers, the gateway
ROUTERS += [caches]  # issue 13: caches (Redis)

DESCRIPTION = """One control plane for many clouds. Authenticate with `Authorization: Bearer <JWT or API key>`
or `X-API-Key: <key>`. Every error has one shape: `{error, code, message, detail, success: false}`."""


REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def request_id_ok(value: str) -> bool:
    """Echo a client's request id when it is a plain token (no spaces or control characters
    that could forge log lines); otherwise a new one is made."""
    return bool(REQUEST_ID.match(value))


_frozen = False


def _freeze_start_up_heap() -> None:
    """Once per process, after start-up: move everything alive now (modules, classes, the app)
    into the collector's permanent generation. The oldest-generation collections that request
    allocations trigger otherwise walk that whole heap: about one request in a hundred waited
    ~65 ms for one (docs/benchmarks.md, issue 9: one-connection p99 65 -> 4 ms)."""
    global _frozen
    if not _frozen:
        _frozen = True
        gc.collect()
        gc.freeze()


def add_routes(app: FastAPI, router: APIRouter) -> None:
    """A module's routes join the app as they are. They carry their full paths, tags,
    dependencies and responses already, and each route's request handler is built once per
    process, when its module is imported. `include_router` would wrap them for this app and
    build every handler again on the app's first requests (FastAPI builds included routes
    lazily, per inclusion): for one server that is a slower first request per route; for the
    test suite, which starts an app per test, it was a third of its CPU time."""
    app.router.routes.extend(router.routes)


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> FastAPI:
    settings = settings or Settings()
    runtime = runtime or Runtime.build(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        runtime.start()
        _freeze_start_up_heap()
        try:
            yield
        finally:
            runtime.close()

    app = FastAPI(
        title="cloudfold",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        swagger_ui_parameters={"persistAuthorization": True},
        docs_url=None,  # issue 12: web/api_docs.py serves /docs and /redoc from vendored assets
        redoc_url=None,
    )
    app.state.runtime = runtime
    errors.install(app)
    for module in ROUTERS:
        add_routes(app, module.router)
    add_routes(app, monitor_checks.actions_router)  # seed 000 actions: /actions/refresh-all
    errors.document_validation_status(app)
    errors.document_server_error(app)
    openapi_auth.install(app)
    api_docs.install(app)  # issue 12
    add_routes(app, pages_auth.router)  # issue 12: the dashboard under /ui
    add_routes(app, pages.router)
    for module in PAGE_ROUTERS:
        add_routes(app, module.router)
    add_routes(app, live.router)
    app.mount(STATIC_URL, StaticFiles(directory=STATIC_DIR), name="static")

    # Added innermost first: the last one added sees the request first.
    app.add_middleware(prometheus.RequestMetrics)  # issue 10: request counts and latency for /metrics
    app.add_middleware(IdempotencyMiddleware)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(UrlGuardMiddleware)
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_credentials=False,
                           allow_methods=["*"], allow_headers=["*"], expose_headers=["X-Request-ID"])
    app.add_middleware(CorrelationIdMiddleware, header_name="X-Request-ID", validator=request_id_ok)
    if settings.trusted_proxies:
        from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    return app
