"""Seed 003's caches: each a real `redis-server` in a container on the local engine, made through
the local cloud's instance core (`instances.launch_container`: checks, quota claim, the intent
recorded before the engine is asked, labels with record id, owner and process, the reconciler
for what a dead process left), with

- `--maxmemory <memory_mb>mb` and a container memory limit of memory_mb + `headroom_mb` (Redis's
  own overhead, buffers and fragmentation live outside maxmemory);
- a generated password (`secrets.token_urlsafe`, 192 bits), written into the container as its
  config file (`requirepass`) before the start — never in its command, environment, record,
  audit line or log — and kept sealed with the credentials' secret box (`CacheSecret`), since
  the control plane reads the cache's INFO and rotates it; it is answered once, at create and at
  rotation;
- no persistence unless asked (`--save '' --appendonly no`; with persistence, append-only
  file in the container's /data: it survives a restart of the container, not a delete);
- Redis's port 6379 published on `local_publish_ip`, on a host port of the member's
  `publish_port_range` (the engine's choice for admins), counted by the `host_ports` quota.

A create waits until Redis answers (`cache_start_timeout_seconds`); a Redis that does not
start (no image, a container that exits) is a clear error and leaves nothing behind.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from cloudfold.db.base import utcnow
from cloudfold.db.models import CacheSecret, CloudObject
from cloudfold.domain import actions, audit, egress, events, quotas
from cloudfold.domain.caches import link
from cloudfold.domain.localcloud import core, instances
from cloudfold.domain.localcloud.core import Cloud
from cloudfold.domain.quotas.builtin import USES, summing
from cloudfold.drivers.base import Discovered, DriverError
from cloudfold.drivers.local import provision
from cloudfold.errors import BadRequest, CloudfoldError, Conflict, UpstreamError

KIND = "cache"
MIN_MEMORY_MB, MAX_MEMORY_MB = 16, 8192  # below 16 MB Redis has no room for data; 8 GB is the memory_mb quota's default
EVICTION_POLICIES = ("allkeys-lru", "allkeys-lfu", "allkeys-random", "volatile-lru", "volatile-lfu",
                     "volatile-random", "volatile-ttl", "noeviction")
CONF_PATH = "etc/redis/cloudfold.conf"  # inside the container (the image has /etc/redis)
ENGINE, VERSION = "redis", "7"
LOG_TAIL = 5  # lines of a failed Redis's output put in the error


class NotStarted(UpstreamError):
    """The cache's Redis did not start: the container would not start, or Redis never answered."""


def headroom_mb(memory_mb: int) -> int:
    """Container memory beyond maxmemory: 32 MB or a quarter of memory_mb, whichever is more."""
    return max(32, memory_mb // 4)


def cache_use(spec: dict[str, Any]) -> dict[str, float]:
    """A cache's share of the quotas: one cache, its container's memory, its published port."""
    return {"caches": 1, "memory_mb": spec.get("memory") or 0, "host_ports": len(spec.get("ports") or [])}


USES[KIND] = cache_use
quotas.register("caches", 5, "Caches (Redis servers, seed 003)")(summing("caches"))


@dataclass
class Cache:
    obj: CloudObject
    endpoint: link.Endpoint | None
    password: str | None = None  # only in the answer of a create or a rotation
    figures: link.Figures | None = None
    figures_error: str | None = None


def _view(cloud: Cloud, obj: CloudObject, **more: Any) -> Cache:
    return Cache(obj, link.endpoint(cloud.settings, obj.spec.get("ports") or []), **more)


def command(memory_mb: int, persistence: bool, eviction_policy: str) -> list[str]:
    cmd = ["redis-server", f"/{CONF_PATH}", "--port", str(link.CONTAINER_PORT), "--dir", "/data",
           "--maxmemory", f"{memory_mb}mb", "--maxmemory-policy", eviction_policy]
    return cmd + (["--appendonly", "yes"] if persistence else ["--save", "", "--appendonly", "no"])


def _trusted(cloud: Cloud, account) -> bool:
    """Connections to a cache are the owner's, to their local engine's published port: trusted as
    the engine's account is (the shared `local` account is), or as an admin is."""
    return cloud.principal.is_admin or egress.owner_trusted(cloud.session, account.owner_id)


def _check_image(cloud: Cloud) -> None:
    image = cloud.settings.cache_image
    with core.engine(cloud, core.local_account(cloud)) as driver:
        if driver.image(image) is None:
            raise BadRequest(f"The cache image {image!r} is not on the container engine: build it with "
                             "`cloudfold images build` (it is made from Debian's redis-server package)")


def _tail(cloud: Cloud, account, external_id: str) -> str:
    try:
        with core.engine(cloud, account) as driver:
            return " / ".join(line.message.strip() for line in driver.logs(external_id, LOG_TAIL))
    except (CloudfoldError, DriverError):
        return "its output could not be read"


def _running(cloud: Cloud, account, external_id: str) -> bool:
    try:
        with core.engine(cloud, account) as driver:
            return bool(provision.inspect_container(driver, external_id)[1].get("Running"))
    except (CloudfoldError, DriverError):
        return False


def create(cloud: Cloud, name: str, memory_mb: int, persistence: bool = False, vpc_id: str | None = None,
           eviction_policy: str = "allkeys-lru") -> Cache:
    if not MIN_MEMORY_MB <= memory_mb <= MAX_MEMORY_MB:
        raise BadRequest(f"memory_mb must be {MIN_MEMORY_MB} to {MAX_MEMORY_MB}")
    if eviction_policy not in EVICTION_POLICIES:
        raise BadRequest(f"eviction_policy must be one of: {', '.join(EVICTION_POLICIES)}")
    _check_image(cloud)
    password = secrets.token_urlsafe(24)
    settings = cloud.settings
    launch = instances.Launch(
        name=name, image=settings.cache_image, vpc_id=vpc_id, ports=[f"{instances.ANY_PORT}:{link.CONTAINER_PORT}"],
        command=command(memory_mb, persistence, eviction_policy), memory=memory_mb + headroom_mb(memory_mb),
        restart="unless-stopped", files={CONF_PATH: (f"requirepass {password}\n", 0o600)}, kind=KIND,
        extra={"engine": ENGINE, "version": VERSION, "memory_mb": memory_mb, "persistence": persistence,
               "eviction_policy": eviction_policy})

    def ready(found: Discovered, ports: list[list]) -> None:
        account, object_id = core.local_account(cloud), found.metadata["labels"][provision.ID_LABEL]
        where = link.endpoint(settings, ports)
        try:
            link.wait_ready(settings, _trusted(cloud, account), where, password,
                            running=lambda: _running(cloud, account, found.external_id))
        except CloudfoldError as exc:
            raise NotStarted(f"Redis did not start in the cache's container ({exc.message}; nothing was kept). "
                             f"Its output: {_tail(cloud, account, found.external_id)}") from None
        # stored by the record's commit (instances.build), so a made cache always has its password
        cloud.session.add(CacheSecret(cache_id=object_id, password_sealed=cloud.box.seal({"password": password})))

    try:
        obj = instances.launch_container(cloud, launch, KIND, "POST /caches", ready=ready)
    except NotStarted:
        raise
    except UpstreamError as exc:  # the engine would not start the container: say what was asked
        raise NotStarted(f"Redis could not be started from the image {settings.cache_image!r} (nothing was kept): "
                         f"{exc.message}. Rebuild the image with `cloudfold images build`") from None
    # the stored one: a retry of a request cut short answers the cache its first attempt made
    return _view(cloud, obj, password=_password(cloud, obj))


def list_mine(cloud: Cloud) -> list[Cache]:
    return [_view(cloud, obj) for obj in core.mine(cloud, KIND)]


def _password(cloud: Cloud, obj: CloudObject) -> str:
    secret = cloud.session.get(CacheSecret, obj.id)
    if secret is None:
        raise Conflict(f"The password of cache {obj.name!r} is not known to cloudfold")
    return cloud.box.open(secret.password_sealed)["password"]


def get(cloud: Cloud, cache_id: str) -> Cache:
    """One cache, its status read live from the engine and its figures from Redis's INFO (none,
    with the reason, when Redis does not answer)."""
    obj = core.get(cloud, KIND, cache_id)
    actions.refresh(cloud.session, cloud.bus, cloud.box, cloud.settings, obj.resource)
    view = _view(cloud, obj)
    if view.endpoint is None:
        view.figures_error = "the cache publishes no port"
        return view
    try:
        with link.connected(cloud.settings, _trusted(cloud, obj.resource.account), view.endpoint,
                            _password(cloud, obj)) as client:
            view.figures = link.figures(client)
    except CloudfoldError as exc:
        view.figures_error = exc.message
    return view


def rotate_password(cloud: Cloud, cache_id: str) -> Cache:
    """A new password, set in the running Redis (`CONFIG SET requirepass`, kept in its config
    file by `CONFIG REWRITE`) and stored sealed; answered once. The old one is refused from
    then on (connections already open stay, as Redis keeps them)."""
    obj = core.get(cloud, KIND, cache_id)
    view, old, new = _view(cloud, obj), _password(cloud, obj), secrets.token_urlsafe(24)
    if view.endpoint is None:
        raise Conflict(f"Cache {obj.name!r} publishes no port")
    with link.connected(cloud.settings, _trusted(cloud, obj.resource.account), view.endpoint, old) as client:
        link.set_password(client, new)
        secret = cloud.session.get(CacheSecret, obj.id)
        secret.password_sealed, secret.set_at = cloud.box.seal({"password": new}), utcnow()
        audit.record(cloud.session, cloud.ctx, "cache.rotate_password", target=f"{KIND}:{obj.id}",
                     detail={"name": obj.name, "resource_id": obj.resource_id})
        try:
            cloud.session.commit()
        except Exception:
            cloud.session.rollback()
            link.set_password(client, old)  # the stored one stays the one that works
            raise
    cloud.bus.publish(events.resource_change("update", obj.resource, via="caches", change="password"))
    view.password = new
    return view


def delete(cloud: Cloud, cache_id: str) -> CloudObject:
    """Stop and remove the container, then the records (the sealed password goes with them)."""
    obj = core.get(cloud, KIND, cache_id)
    core.delete(cloud, obj, core.remover(cloud, obj.resource.account, provision.remove_container,
                                         obj.resource.external_id))
    return obj
