"""Services (seed 000 serviceControl): groups of inventory containers.

A container belongs to a service by its labels: cloudfold's own `cloudfold.service`, else the
compose project (`com.docker.compose.project`, the part from `com.docker.compose.service`).
Unlabelled containers belong to no service. A service lives on one host (its account, or a
Proxmox node): its id is `<account slug>:<name>`, and a bare name is accepted when it names
one service the caller can see. Everything is computed from the synced inventory (visibility
from `inventory.scoped`); health reads each container's live state first, restart goes
through `actions.perform` (one history row, audit event and /ws event per container), and
logs come from the driver's `logs` capability.
"""

from __future__ import annotations

import re
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from cloudfold.db.json_label import label_of
from cloudfold.db.models import Account, Resource
from cloudfold.domain import accounts, actions, audit, driver_errors, events, inventory, policy, usage
from cloudfold.domain.context import Context, Principal
from cloudfold.drivers.base import DriverError, DriverUnavailable, LogLine
from cloudfold.errors import BadRequest, CloudfoldError, Forbidden, NotFound, ServiceUnavailable, UpstreamError
from cloudfold.security.secretbox import SecretBox
from cloudfold.settings import Settings

SERVICE_LABEL = "cloudfold.service"
TYPE_LABEL = "cloudfold.service-type"
ROLE_LABEL = "cloudfold.role"
COMPOSE_PROJECT = "com.docker.compose.project"
COMPOSE_SERVICE = "com.docker.compose.service"

# image name (a path component's first word) -> database engine
DATABASE_IMAGES = {
    "postgres": "postgres", "postgresql": "postgres", "postgis": "postgres", "pgvector": "postgres",
    "timescaledb": "postgres", "supabase-postgres": "postgres", "mysql": "mysql", "percona": "mysql",
    "mariadb": "mariadb", "redis": "redis", "redis-stack": "redis", "keydb": "redis", "valkey": "valkey",
    "dragonfly": "redis", "mongo": "mongodb", "mongodb": "mongodb", "memcached": "memcached",
    "cassandra": "cassandra", "scylla": "scylla", "couchdb": "couchdb", "couchbase": "couchbase",
    "neo4j": "neo4j", "influxdb": "influxdb", "clickhouse": "clickhouse", "clickhouse-server": "clickhouse",
    "elasticsearch": "elasticsearch", "opensearch": "opensearch", "cockroach": "cockroachdb",
    "mssql": "sqlserver", "etcd": "etcd", "questdb": "questdb", "surrealdb": "surrealdb",
}
# tools named after a database that are not one (mongo-express, postgres-exporter, …)
NOT_DATABASE = {"exporter", "express", "commander", "admin", "ui", "backup", "operator", "insight", "web"}
WORD = re.compile(r"[a-z0-9]+")
GENERIC = {"server", "db", "database"}


def database_engine(image: str | None, labels: dict[str, str]) -> str | None:
    """The database engine a container runs, by label `cloudfold.role=database` (engine from
    `cloudfold.database` when given) or by its image name; None for anything else."""
    if labels.get(ROLE_LABEL) == "database":
        return labels.get("cloudfold.database") or _engine_of(image) or "unknown"
    return _engine_of(image)


def _engine_of(image: str | None) -> str | None:
    if not image:
        return None
    path = image.lower().split("@", 1)[0]
    parts = path.split("/")
    parts[-1] = parts[-1].split(":", 1)[0]  # drop the tag (a registry's port stays in parts[0])
    # the repository's own name; its parent only when that is generic (mcr.microsoft.com/mssql/server)
    names = parts[-1:] if parts[-1] not in GENERIC or len(parts) < 2 else parts[-2:]
    for part in reversed(names):
        words = WORD.findall(part)
        if not words or NOT_DATABASE & set(words):
            continue
        engine = DATABASE_IMAGES.get(part) or DATABASE_IMAGES.get(words[0])
        if engine:
            return engine
    return None


@dataclass(frozen=True)
class Host:
    """Where containers run, a "VM" of seed 000's topology: a container engine (an account), a
    Proxmox node, or a vm resource."""

    vm_id: str
    kind: str  # engine | node | vm
    name: str
    provider: str
    provider_id: str | None


def account_host(account: Account) -> Host:
    """An account as a host: its engine (`local`), else the account itself."""
    kind = "engine" if account.provider_type == "local" else "account"
    return Host(account.slug, kind, account.display_name, account.provider_type, account.slug)


def host_of(row: Resource) -> Host:
    account = row.account
    if account is None:
        return Host("manual", "engine", "Tracked by hand", row.provider, None)
    node = (row.meta or {}).get("node")
    if node:
        return Host(f"{account.slug}/{node}", "node", str(node), account.provider_type, account.slug)
    return account_host(account)


@dataclass
class ContainerView:
    """One inventory container, as the service and topology faces show it."""

    resource: Resource
    host: Host
    service: str | None
    service_source: str | None  # label | compose
    component: str
    database: str | None

    @property
    def meta(self) -> dict[str, Any]:
        return self.resource.meta or {}

    @property
    def labels(self) -> dict[str, str]:
        return self.meta.get("labels") or {}

    @property
    def running(self) -> bool:
        return self.resource.status == "running"

    @property
    def service_id(self) -> str | None:
        """`<host>:<service name>`, the id /services/{serviceId} takes; None outside a service."""
        return f"{self.host.vm_id}:{self.service}" if self.service else None

    @property
    def cpu_percent(self) -> float | None:
        return usage.cpu_percent(self.resource)

    @property
    def memory_mb(self) -> float | None:
        used = usage.memory_used(self.resource)
        return round(used / 2**20, 2) if used is not None else None

    @property
    def ok(self) -> bool:
        """Running, and not failing a healthcheck it has."""
        return self.running and self.meta.get("health") != "unhealthy"


def view(row: Resource) -> ContainerView:
    meta = row.meta or {}
    labels = meta.get("labels") or {}
    if labels.get(SERVICE_LABEL):
        service, source = labels[SERVICE_LABEL], "label"
    elif labels.get(COMPOSE_PROJECT):
        service, source = labels[COMPOSE_PROJECT], "compose"
    else:
        service = source = None
    component = labels.get(COMPOSE_SERVICE) or labels.get("cloudfold.component") or row.name
    return ContainerView(row, host_of(row), service, source, component, database_engine(meta.get("image"), labels))


@dataclass
class Service:
    id: str
    name: str
    source: str
    host: Host
    containers: list[ContainerView] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.containers)

    @property
    def running(self) -> int:
        return sum(c.running for c in self.containers)

    @property
    def health(self) -> str:
        """healthy: every container up; down: none running; degraded: in between."""
        if not self.running:
            return "down"
        return "healthy" if all(c.ok for c in self.containers) else "degraded"

    @property
    def type(self) -> str:
        """`cloudfold.service-type` when a container sets it; else database (every container
        is one), web (one publishes a port) or worker."""
        for c in self.containers:
            if c.labels.get(TYPE_LABEL):
                return c.labels[TYPE_LABEL]
        if all(c.database for c in self.containers):
            return "database"
        return "web" if any(c.meta.get("ports") for c in self.containers) else "worker"


def containers(session: Session, viewer: Principal) -> list[ContainerView]:
    """Every container the viewer can see, still at its provider, in inventory order."""
    stmt = inventory.scoped(session, viewer, select(Resource).where(
        Resource.kind == "container", Resource.vanished.is_(False))).order_by(Resource.id)
    return [view(row) for row in session.scalars(stmt)]


def group(views: list[ContainerView]) -> list[Service]:
    found: dict[str, Service] = {}
    for c in views:
        sid = c.service_id
        if sid is None:
            continue
        svc = found.setdefault(sid, Service(sid, c.service, c.service_source or "label", c.host))
        svc.containers.append(c)
    return sorted(found.values(), key=lambda s: (s.host.vm_id, s.name))


def all_services(session: Session, viewer: Principal) -> list[Service]:
    return group(containers(session, viewer))


def _named(session: Session, viewer: Principal, names: set[str]) -> list[ContainerView]:
    """The visible containers whose service or compose project label is one of ``names`` (the
    database picks them; grouping then decides which service each belongs to)."""
    labelled = select(Resource.id).where(  # alone, so that each label's index answers its half
        or_(label_of(Resource.meta, SERVICE_LABEL).in_(names), label_of(Resource.meta, COMPOSE_PROJECT).in_(names)))
    stmt = inventory.scoped(session, viewer, select(Resource).where(
        Resource.id.in_(labelled), Resource.kind == "container", Resource.vanished.is_(False)))
    return [view(row) for row in session.scalars(stmt.order_by(Resource.id))]


def get(session: Session, viewer: Principal, ref: str) -> Service:
    """By id (`<host>:<name>`) or by a bare name that names exactly one visible service. Only
    the containers labelled with that name are read, not the whole inventory."""
    _, sep, name = ref.rpartition(":")
    found = group(_named(session, viewer, {ref, name} if sep else {ref}))
    exact = [s for s in found if s.id == ref]
    if exact:
        return exact[0]
    named = [s for s in found if s.name == ref]
    if not named:
        raise NotFound(f"No service {ref!r}")
    if len(named) > 1:
        raise BadRequest(f"{ref!r} names services on several hosts; use one of: {', '.join(s.id for s in named)}")
    return named[0]


def live(session: Session, viewer: Principal, bus: events.EventBus, box: SecretBox, settings: Settings,
         ref: str) -> Service:
    """A service with each container's state read from its provider now (and kept)."""
    svc = get(session, viewer, ref)
    for c in svc.containers:
        actions.refresh(session, bus, box, settings, c.resource)
    return get(session, viewer, svc.id)  # regrouped: a container may be gone or relabelled


@dataclass
class Restarted:
    resource: Resource
    action: str  # reboot (was running) | start (was not)
    status_before: str
    status: str
    success: bool
    message: str


@dataclass
class RestartReport:
    service: Service  # as it is afterwards
    results: list[Restarted]

    @property
    def failed(self) -> int:
        return sum(not r.success for r in self.results)

    @property
    def restarted(self) -> int:
        return len(self.results) - self.failed


def restart(session: Session, ctx: Context, bus: events.EventBus, box: SecretBox, settings: Settings, ref: str,
            timeout: int, via: str) -> RestartReport:
    """Restart every container of a service through the one action path: reboot the running
    ones, start the others. A container's refusal or provider error does not stop the rest;
    when every container fails, the first error is raised."""
    try:
        svc = live(session, ctx.principal, bus, box, settings, ref)
    except (ServiceUnavailable, UpstreamError) as exc:  # its provider could not even be read
        session.rollback()
        audit.record(session, ctx, "service.restart", target=f"service:{ref}", result=audit.FAILED,
                     detail={"via": via, "message": exc.message})
        session.commit()
        raise
    results: list[Restarted] = []
    errors: list[CloudfoldError] = []
    for c in svc.containers:
        row, before = c.resource, c.resource.status
        action = "reboot" if before == "running" else "start"
        try:
            out = actions.perform(session, ctx, bus, box, settings, row, action, via, {"timeout": timeout})
            results.append(Restarted(row, action, before, out.status_after, True, out.message))
        except CloudfoldError as exc:
            errors.append(exc)
            results.append(Restarted(row, action, before, row.status, False, exc.message))
    report = RestartReport(svc, results)
    audit.record(session, ctx, "service.restart", target=f"service:{svc.id}",
                 result=audit.SUCCESS if not report.failed else audit.FAILED,
                 detail={"via": via, "containers": len(results), "failed": report.failed})
    session.commit()
    if errors and len(errors) == len(results):
        errors[0].extra["audited"] = True
        raise errors[0]
    report.service = get(session, ctx.principal, svc.id)
    return report


@dataclass
class ContainerLogs:
    container: ContainerView
    lines: list[LogLine]
    error: str | None = None


def logs(session: Session, viewer: Principal, box: SecretBox, settings: Settings, ref: str,
         tail: int) -> tuple[Service, list[ContainerLogs]]:
    """The last `tail` lines of each container of a service. A container whose provider cannot
    read logs, or that is gone, gets an `error`; an unreachable provider is a 503. Logs need
    the right to change a container (they hold what its programs print: commands, secrets),
    not just to see it: 403 when the caller may change none of the service's containers."""
    svc = get(session, viewer, ref)
    allowed = {c.resource.id for c in svc.containers if policy.may(viewer, policy.CHANGE, c.resource)}
    if not allowed:
        raise Forbidden("Reading a container's logs needs the right to change it: an admin's, or its owner's")
    out: list[ContainerLogs] = []
    with ExitStack() as stack:
        drivers: dict[int, Any] = {}
        for c in svc.containers:
            account = c.resource.account
            if c.resource.id not in allowed or account is None:
                out.append(ContainerLogs(c, [], "tracked by hand: no provider to read logs from" if account is None
                                         else "not yours: logs need the right to change the container"))
                continue
            try:
                if account.id not in drivers:
                    drivers[account.id] = stack.enter_context(accounts.driver(account, box, settings))
                opened = drivers[account.id]
                if not opened.supports("logs"):
                    out.append(ContainerLogs(c, [], f"{account.provider_type} cannot read container logs"))
                    continue
                out.append(ContainerLogs(c, opened.logs(c.resource.external_id, tail)))
            except DriverUnavailable as exc:
                raise driver_errors.translate(exc) from exc
            except DriverError as exc:  # this container's logs only: the others still answer
                out.append(ContainerLogs(c, [], str(exc)))
    return svc, out
