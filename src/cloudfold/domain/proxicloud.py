"""Seed 004 (ProxiCloud) reads: containers, one container, names, search, node info, dashboard.
The reads answer figures (`Container`); the face (api/faces/proxicloud_shapes.py) shapes them.

Every read is the one inventory, refreshed from the engines first:

- *Live* (``X-Cache-Status: online``): each visible account whose driver has containers is
  listed now; what it reports is upserted into the inventory with the sync's own
  ``upsert_page`` (so a container made outside cloudfold gets its vmid at once), containers
  it no longer reports are marked vanished, and a local engine's usage figures (a ``stats``
  sample and the disk sizes) are kept in the record's ``usage``, apart from its metadata.
- *Offline* (``X-Cache-Status: offline``): when an engine cannot be reached or answers with
  an error, the answer is that same inventory as last stored: status, configuration and
  the last usage sample (zero for what was never sampled). Reads never fail on the engine.

Fallbacks (documented in docs/architecture.md): ``cpu``/``memory`` of a container without
limits are the host's cores/memory; ``cpu_usage`` is `docker stats`' percent (100 = one
core), averaged since start when the engine keeps no previous sample (Podman); ``disk`` is
the root filesystem's size (image + writable layer), ``disk_usage`` the writable layer.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cloudfold.db.base import utcnow
from cloudfold.db.models import Account, Resource, ResourceAction
from cloudfold.domain import accounts, audit, events, inventory, sync, templates, usage
from cloudfold.domain import gone as vanished
from cloudfold.domain.context import Principal
from cloudfold.drivers import registry
from cloudfold.drivers.base import Discovered, Driver, DriverError, DriverUnavailable
from cloudfold.errors import NotFound
from cloudfold.images import normalize

log = logging.getLogger("cloudfold.proxicloud")

ONLINE, OFFLINE = "online", "offline"
KIND = "container"
SORTS = ("vmid", "name", "status", "cpu_usage")
NAME_PREFIX = "proxicloud-"
MB = 1024 * 1024
# the last host figures seen per engine, for offline answers (process memory: a restarted
# or other replica answers offline node fields as null until it has seen the engine once)
_HOSTS: dict[str, dict[str, Any]] = {}


@dataclass
class Read:
    data: Any
    cache: str  # ONLINE or OFFLINE


# -- refreshing the inventory from the engines ----------------------------------------------
def _driver(rt, account: Account | None):
    return accounts.driver(account, rt.secretbox, rt.settings, local_default=True)


uptime = usage.uptime  # seed 004's `uptime` of a container


def _sample(driver: Driver, found: list[Discovered]) -> dict[str, dict[str, Any]]:
    """A stats sample (running containers) and disk sizes of what a local engine reported, by
    external id: kept in the records' `usage`, apart from what the engine reports as metadata."""
    if not driver.supports("stats"):
        return {}
    sizes = driver.sizes(found[0].external_id if len(found) == 1 else None)
    samples = driver.stats_many([d.external_id for d in found if d.status == "running"])
    now = utcnow().isoformat()
    found_usage: dict[str, dict[str, Any]] = {}
    for d in found:
        kept: dict[str, Any] = {}
        if d.external_id in sizes:
            kept["size"] = sizes[d.external_id]
        if samples.get(d.external_id):
            kept["stats"] = {**samples[d.external_id], "at": now}
        if kept:
            found_usage[d.external_id] = kept
    return found_usage


def _keep_usage(session: Session, account: Account, usages: dict[str, dict[str, Any]]) -> None:
    """Store fresh usage samples; what a record had is replaced only by a new sample."""
    for external_id, kept in usages.items():
        session.execute(update(Resource).where(Resource.account_id == account.id, Resource.kind == KIND,
                                               Resource.external_id == external_id).values(usage=kept))


def _store(session: Session, rt, account: Account, found: list[Discovered], missing: list[str],
           usages: dict[str, dict[str, Any]]) -> None:
    """Keep what was read (the sync's upsert) and mark what is gone; publish the changes."""
    generation = session.scalar(select(func.max(Resource.sync_generation))
                                .where(Resource.account_id == account.id)) or 0
    try:
        changes = sync.upsert_page(session, account, found, generation)
    except IntegrityError:  # a concurrent read or sync inserted the same container first
        session.rollback()
        changes = sync.upsert_page(session, account, found, generation)
    gone = list(session.scalars(select(Resource).where(
        Resource.account_id == account.id, Resource.kind == KIND, Resource.manual.is_(False),
        Resource.vanished.is_(False), Resource.external_id.in_(missing)))) if missing else []
    for row in gone:
        vanished.mark(row)
    _keep_usage(session, account, usages)
    session.commit()
    by_id = {rid: change for change, rid in changes}
    if by_id:
        for row in session.scalars(select(Resource).where(Resource.id.in_(list(by_id)))):
            rt.events.publish(events.resource_change(by_id[row.id], row, source="refresh"))
    for row in gone:
        rt.events.publish(events.resource_change("vanished", row, source="refresh"))


def _read_account(rt, account: Account, stats: bool) -> tuple[list[Discovered], dict[str, dict[str, Any]]]:
    """Every container of one account now. An engine error (not unreachability) is retried once: a container removed between the
    engine's list and its inspect answers some engines with an error rather than a 404."""
    for attempt in (1, 2):
        try:
            with _driver(rt, account) as driver:
                found = [d for page in driver.pages((KIND,)) for d in page if d.kind == KIND]
                return found, (_sample(driver, found) if stats else {})
        except DriverUnavailable:
            raise
        except DriverError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _refresh_account(session: Session, rt, account: Account, stats: bool) -> bool:
    """Read every container of one account now and keep it; False when its engine failed."""
    try:
        found, usages = _read_account(rt, account, stats)
    except DriverError as exc:
        log.info("account %s unreadable, answering from the inventory: %s", account.slug, exc)
        return False
    seen = {d.external_id for d in found}
    known = session.scalars(select(Resource.external_id).where(
        Resource.account_id == account.id, Resource.kind == KIND, Resource.vanished.is_(False)))
    _store(session, rt, account, found, [x for x in known if x not in seen], usages)
    return True


def _refresh_visible(session: Session, rt, viewer: Principal, stats: bool) -> str:
    ok = True
    for account in accounts.list_for(session, viewer):
        if account.is_active and KIND in _kinds(account):
            ok = _refresh_account(session, rt, account, stats) and ok
    return ONLINE if ok else OFFLINE


def _kinds(account: Account) -> tuple[str, ...]:
    try:
        return registry.driver_class(account.provider_type).kinds
    except DriverError:
        return ()


def _refresh_one(session: Session, rt, row: Resource) -> str:
    if row.account is None or row.manual:
        return ONLINE
    try:
        with _driver(rt, row.account) as driver:
            state = driver.get(row.kind, row.external_id)
            usages = _sample(driver, [state]) if state is not None else {}
    except DriverError as exc:
        log.info("resource %s unreadable, answering from the inventory: %s", row.id, exc)
        return OFFLINE
    _store(session, rt, row.account, [state] if state else [], [] if state else [row.external_id], usages)
    session.refresh(row)
    return ONLINE


# -- shaping ---------------------------------------------------------------------------------
def _visible_rows(session: Session, viewer: Principal) -> list[Resource]:
    stmt = inventory.scoped(session, viewer, select(Resource).where(Resource.kind == KIND,
                                                                    Resource.vanished.is_(False)))
    return list(session.scalars(stmt.order_by(Resource.id)))


def _template_ids(settings) -> dict[str, str]:
    try:
        return {normalize(t.image): t.id for t in templates.catalog(settings).values()}
    except Exception:  # an unusable templates file must not break container reads
        return {}


def _number(value: float | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else round(value, 2)


@dataclass
class Container:
    """One container's figures, as the inventory and the engine know them (the seed 004 face
    shapes them: its summary, config and current objects)."""

    row: Resource
    vmid: int
    template: str | None  # template id of its image, when it is one
    cpu: float | None  # cores: its limit, else the host's
    memory: int | None  # MB: its limit, else the host's
    disk: int | None  # root filesystem bytes (image + writable layer)
    disk_usage: int | None  # writable layer bytes
    uptime: int
    cpu_usage: float  # 100 = one core busy
    memory_usage: int
    memory_total: int | None  # bytes
    network_in: int
    network_out: int
    ip_address: str | None
    sampled_at: str | None  # when the usage figures were sampled

    @property
    def name(self) -> str:
        return self.row.name

    @property
    def status(self) -> str:
        return self.row.status


def _container(row: Resource, host: dict[str, Any], tids: dict[str, str]) -> Container:
    meta, st, size = row.meta or {}, usage.sample(row), usage.sizes(row)
    running = row.status == "running"
    image = meta.get("image") or ""
    memory_bytes = meta.get("memory_bytes") or host.get("memory_total")
    memory = memory_bytes // MB if memory_bytes else None
    total = meta.get("memory_bytes") or (st.get("memory_limit") if running else None)
    return Container(
        row=row, vmid=inventory.vmid_of(row), template=tids.get(normalize(image)) if image else None,
        cpu=_number(meta["nano_cpus"] / 1e9) if meta.get("nano_cpus") else host.get("cpu_cores"),
        memory=memory, disk=size.get("rootfs"), disk_usage=size.get("rw"), uptime=uptime(row),
        cpu_usage=usage.cpu_percent(row) or 0.0, memory_usage=usage.memory_used(row) or 0,
        memory_total=total or (memory * MB if memory else None),
        network_in=int(st.get("net_in") or 0) if running else 0,
        network_out=int(st.get("net_out") or 0) if running else 0,
        ip_address=meta.get("private_ip"), sampled_at=st.get("at"))


def _host_of(rt, session: Session, viewer: Principal) -> tuple[dict[str, Any], str]:
    """The engine host's figures, live, else the last seen (offline)."""
    account = accounts.first_local(session, viewer)
    key = account.slug if account else "default"
    try:
        with _driver(rt, account) as driver:
            host = driver.host()
    except DriverError as exc:
        log.info("engine host unreadable, answering from the last known figures: %s", exc)
        return _HOSTS.get(key) or {"name": account.slug if account else None}, OFFLINE
    _HOSTS[key] = host
    return host, ONLINE


def _worst(*caches: str) -> str:
    return OFFLINE if OFFLINE in caches else ONLINE


# -- the reads -------------------------------------------------------------------------------
def list_containers(session: Session, rt, viewer: Principal, status: str | None = None, sort: str = "vmid",
                    order: str = "asc") -> Read:
    cache = _refresh_visible(session, rt, viewer, stats=True)
    host = _known_host(session, rt, viewer)
    tids = _template_ids(rt.settings)
    rows = [_container(r, host, tids) for r in _visible_rows(session, viewer)]
    if status:
        rows = [r for r in rows if r.status == status]
    present = [r for r in rows if getattr(r, sort) is not None]
    present.sort(key=lambda r: (getattr(r, sort), r.vmid), reverse=order == "desc")
    return Read(present + [r for r in rows if getattr(r, sort) is None], cache)


def _known_host(session: Session, rt, viewer: Principal) -> dict[str, Any]:
    """The host figures already seen (cores and memory change rarely), read once otherwise."""
    account = accounts.first_local(session, viewer)
    return _HOSTS.get(account.slug if account else "default") or _host_of(rt, session, viewer)[0]


def _deleted(session: Session, row: Resource) -> bool:
    """Removed by a delete (an action that succeeded): the machine is gone for good. A failed
    create (status error) or a machine removed behind cloudfold's back still shows."""
    return row.vanished and session.scalar(
        select(func.count()).where(ResourceAction.resource_id == row.id, ResourceAction.action == "terminate",
                                   ResourceAction.result == audit.SUCCESS)) > 0


def get_container(session: Session, rt, viewer: Principal, vmid: int) -> Read:
    """One machine, read live; once a delete has removed it, not found (as the list)."""
    row = inventory.by_vmid(session, viewer, vmid)
    if _deleted(session, row):
        raise NotFound(f"Container {vmid} not found")
    cache = _refresh_one(session, rt, row)
    return Read(_container(row, _known_host(session, rt, viewer), _template_ids(rt.settings)), cache)


def generate_name(session: Session, rt, viewer: Principal) -> Read:
    """(``proxicloud-NNN``, NNN), one past the highest number in use: names are unique per engine,
    so every container of the inventory counts, whoever may see it."""
    cache = _refresh_visible(session, rt, viewer, stats=False)
    return Read(free_name(session), cache)


def name_taken(session: Session, name: str) -> bool:
    """Whether a live machine of the inventory (whoever's) has this name."""
    return session.scalar(select(Resource.id).where(Resource.kind.in_(inventory.COMPUTE), Resource.name == name,
                                                    Resource.vanished.is_(False)).limit(1)) is not None


def free_name(session: Session) -> tuple[str, int]:
    """(``proxicloud-NNN``, NNN) one past the highest number the inventory uses."""
    names = set(session.scalars(select(Resource.name).where(Resource.kind.in_(inventory.COMPUTE),
                                                            Resource.vanished.is_(False))))
    numbers = [int(m.group(1)) for n in names if (m := re.fullmatch(rf"{NAME_PREFIX}(\d+)", n))]
    counter = max(numbers, default=0) + 1
    while f"{NAME_PREFIX}{counter:03d}" in names:  # pragma: no cover  (max + 1 is free)
        counter += 1
    return f"{NAME_PREFIX}{counter:03d}", counter


@dataclass
class Hit:
    """A container a search found."""
    vmid: int
    name: str
    status: str
    ip_address: str | None
    hostname: str | None


def search(session: Session, rt, viewer: Principal, q: str) -> Read:
    """Containers (`Hit`) whose name, hostname or any IP address contains ``q`` (case-insensitive)."""
    cache = _refresh_visible(session, rt, viewer, stats=False)
    needle = q.strip().lower()
    results = []
    for row in _visible_rows(session, viewer):
        meta = row.meta or {}
        ips = [ip for ip in (meta.get("ip_addresses") or {}).values() if ip]
        hostname = (meta.get("config") or {}).get("hostname")
        if any(needle in h.lower() for h in (row.name, hostname or "", *ips)):
            results.append(Hit(inventory.vmid_of(row), row.name, row.status, meta.get("private_ip"), hostname))
    return Read(results, cache)


@dataclass
class Host:
    """The engine host's figures (what the driver's ``host()`` reports; None when unknown)."""
    name: str | None = None
    version: str | None = None
    uptime: int | None = None
    cpu_cores: int | None = None
    memory_total: int | None = None  # bytes
    engine: str | None = None
    load_average: list[float] | None = None
    storage_used: int | None = None
    storage_total: int | None = None

    @classmethod
    def of(cls, facts: dict[str, Any]) -> Host:
        return cls(**{f: facts.get(f) for f in cls.__dataclass_fields__})


def node_info(session: Session, rt, viewer: Principal) -> Read:
    """The engine host (`Host`)."""
    host, cache = _host_of(rt, session, viewer)
    return Read(Host.of(host), cache)


def _percent(used: float | None, total: float | None) -> float | None:
    return round(used / total * 100, 1) if used is not None and total else None


@dataclass
class Activity:
    """Something that happened to a container: a successful action, or its creation."""
    at: int  # unix seconds
    action: str
    vmid: int
    name: str
    details: str | None


def _activity(session: Session, viewer: Principal, rows: list[Resource], tids: dict[str, str],
              limit: int = 10) -> list[Activity]:
    stmt = inventory.scoped(session, viewer, select(ResourceAction, Resource)
                            .join(Resource, Resource.id == ResourceAction.resource_id)
                            .where(Resource.kind == KIND, ResourceAction.result == "success"))
    done = [Activity(int(a.time.timestamp()), "delete" if a.action == "terminate" else a.action,
                     inventory.vmid_of(r), r.name, a.message)
            for a, r in session.execute(stmt.order_by(ResourceAction.id.desc()).limit(limit))]
    made = []
    for r in sorted(rows, key=lambda r: r.created_at, reverse=True)[:limit]:
        image = (r.meta or {}).get("image") or ""
        made.append(Activity(int(r.created_at.timestamp()), "create", inventory.vmid_of(r), r.name,
                             f"Created from {tids.get(normalize(image), image) if image else 'unknown'}"))
    return sorted(done + made, key=lambda x: x.at, reverse=True)[:limit]


@dataclass
class Summary:
    """The node's figures: containers by status, what they use of the host, recent activity."""
    host: Host
    counts: dict[str, int]  # by status, plus "total"
    cpu_used: float | None  # percent of the host's cores
    memory_used: int  # bytes
    memory_percent: float | None
    storage_percent: float | None
    activity: list[Activity]


def dashboard_summary(session: Session, rt, viewer: Principal) -> Read:
    facts, host_cache = _host_of(rt, session, viewer)
    host = Host.of(facts)
    listing = list_containers(session, rt, viewer)
    rows = listing.data
    counts = {s: sum(1 for r in rows if r.status == s) for s in ("running", "stopped", "paused")}
    cpu_used = sum(r.cpu_usage for r in rows)
    mem_used = sum(r.memory_usage for r in rows)
    return Read(Summary(
        host=host, counts={"total": len(rows), **counts},
        cpu_used=round(cpu_used / host.cpu_cores, 1) if host.cpu_cores else None,
        memory_used=mem_used, memory_percent=_percent(mem_used, host.memory_total),
        storage_percent=_percent(host.storage_used, host.storage_total),
        activity=_activity(session, viewer, _visible_rows(session, viewer), _template_ids(rt.settings)),
    ), _worst(host_cache, listing.cache))
