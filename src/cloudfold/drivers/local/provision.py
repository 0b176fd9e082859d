"""Making and removing engine objects for seed 003's local cloud, through a LocalDriver's
connection (the driver translates SDK errors; this module adds the few that callers tell apart).

- A subnet is a bridge network with the subnet's CIDR as its IPAM config, created `internal`:
  it has no route off its own segment, so instances in other subnets and VPCs cannot reach it
  on Podman too (which, unlike Docker, does not isolate bridge networks from each other).
- An instance that publishes ports is also attached to its VPC's edge network, the one its ports
  are published through (internal networks publish nothing): a bridge network of its own per
  VPC, on a range cloudfold chooses (never the engine), isolated from every other VPC's edge (Docker isolates bridge networks from each other;
  Podman does so for networks made with its `isolate` option, which only its native API takes).
  An instance outside any VPC publishes through the engine's default network.
- Every object carries the account's `labels` config, plus cloudfold's kind/id labels.
"""

from __future__ import annotations

import io
import ipaddress
import tarfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from docker.errors import create_api_error_from_http_exception
from docker.types import IPAMConfig, IPAMPool
from requests.exceptions import HTTPError

from cloudfold.drivers.base import (
    OWNER_LABEL,
    Conflict,
    Discovered,
    DriverError,
    DriverUnavailable,
    InvalidRequest,
    NotFound,
    PortInUse,
)
from cloudfold.drivers.local import mapping
from cloudfold.drivers.local.driver import LocalDriver

ID_LABEL = "cloudfold.id"  # the id of the record the object belongs to
WORKER_LABEL = "cloudfold.worker"  # the process that made it (domain/workers.py)
PUBLISH_NETWORK = "bridge"  # the default network: Docker's "bridge", Podman's "podman" (aliased)
LIBPOD = "v4.0.0"  # the oldest version of Podman's native API that answers under this path


class ImageMissing(InvalidRequest):
    """The image is not on the engine (and could not be pulled)."""


PortTaken = PortInUse  # a host port the container publishes is already in use


class HalfMade(DriverUnavailable):
    """The engine stopped answering after it made the container and before it was set up,
    so the container could not be removed either: it is still there, as ``external_id``."""

    def __init__(self, message: str, external_id: str, name: str) -> None:
        super().__init__(message)
        self.external_id, self.name = external_id, name


class ObjectMissing(Conflict):
    """An engine object the new one needs (a network, a volume) is gone from the engine."""


def labels(driver: LocalDriver, kind: str, object_id: str) -> dict[str, str]:
    """The account's labels plus cloudfold's own: kind, object id, the maker's user uuid
    (``driver.acting_for``, set by the domain that opened the driver), by which a sync gives
    the object its owner, and the process making it (``driver.made_by``), by which the
    reconciler leaves alone what a live process is still making."""
    extra = driver.account.config.get("labels") or {}
    own = {mapping.KIND_LABEL: kind, ID_LABEL: object_id}
    if getattr(driver, "acting_for", None):
        own[OWNER_LABEL] = driver.acting_for
    if driver.made_by:
        own[WORKER_LABEL] = driver.made_by
    return {**{str(k): str(v) for k, v in extra.items()}, **own}


# -- networks --------------------------------------------------------------------------

def create_network(driver: LocalDriver, name: str, cidr: str, object_id: str) -> Discovered:
    api = driver.client.api
    ipam = IPAMConfig(pool_configs=[IPAMPool(subnet=cidr)])
    try:
        made = driver.call(api.create_network, name, driver="bridge", ipam=ipam, internal=True,
                            labels=labels(driver, "subnet", object_id))
    except DriverError as exc:
        # the engines answer a range in use with a 500 of free text: ask them instead
        if not isinstance(exc, (Conflict, DriverUnavailable)) and _range_taken(driver, cidr):
            raise Conflict(f"the engine already uses an address range overlapping {cidr}", upstream=exc.upstream) from exc
        raise
    return mapping.network(driver.call(api.inspect_network, made["Id"]), driver.region)


def _range_taken(driver: LocalDriver, cidr: str) -> bool:
    """Whether a network of the engine has a subnet overlapping ``cidr``."""
    wanted = ipaddress.ip_network(cidr, strict=False)
    return any(wanted.overlaps(used) for used in network_ranges(driver))


def network_ranges(driver: LocalDriver) -> list[ipaddress.IPv4Network]:
    """The IPv4 ranges of every network on the engine, whoever made it (the engine itself,
    another cloudfold, networks left from an earlier install)."""
    ranges = []
    for network in driver.call(driver.client.api.networks) or []:
        for config in (network.get("IPAM") or {}).get("Config") or []:
            try:
                net = ipaddress.ip_network(config.get("Subnet") or "", strict=False)
            except ValueError:
                continue
            if net.version == 4:
                ranges.append(net)
    return ranges


def ensure_edge_network(driver: LocalDriver, name: str, vpc_object_id: str,
                        choose_range: Callable[[list[ipaddress.IPv4Network]], str]) -> None:
    """Make the VPC's edge network unless it is there, with the range ``choose_range`` gives
    (called with the ranges the engine's networks use; it records its choice first). The
    engine is never left to pick: two clients of one engine making networks at once can be
    given the same range, and two edges on one range reach each other."""
    api = driver.client.api
    if _exists(driver, name):
        return
    cidr = choose_range(network_ranges(driver))
    tags = labels(driver, "vpc-edge", vpc_object_id)
    try:
        if driver.is_podman():
            body = {"name": name, "driver": "bridge", "labels": tags, "options": {"isolate": "true"},
                    "subnets": [{"subnet": cidr}]}
            driver.call(_libpod_post, api, "networks/create", body)
        else:
            ipam = IPAMConfig(pool_configs=[IPAMPool(subnet=cidr)])
            driver.call(api.create_network, name, driver="bridge", labels=tags, ipam=ipam, check_duplicate=True)
    except DriverError as exc:
        if isinstance(exc, Conflict) and _exists(driver, name):
            return  # a concurrent create made it first
        if not isinstance(exc, DriverUnavailable) and _range_taken(driver, cidr):
            raise Conflict(f"the engine already uses an address range overlapping {cidr}", upstream=exc.upstream) from exc
        raise


def _exists(driver: LocalDriver, name: str) -> bool:
    try:
        driver.call(driver.client.api.inspect_network, name)
    except NotFound:
        return False
    return True


def _libpod_post(api, path: str, body: dict[str, Any]) -> Any:
    """POST to Podman's native API, through the same connection as the compatible one (the
    SDK's client is a requests session: its public `post`)."""
    answer = api.post(f"{api.base_url}/{LIBPOD}/libpod/{path}", json=body)
    try:
        answer.raise_for_status()
    except HTTPError as exc:
        raise create_api_error_from_http_exception(exc) from None
    return answer.json()


def _remove(driver: LocalDriver, method: str, *args: Any, **kwargs: Any) -> None:
    """Remove an engine object; one already gone is fine."""
    try:
        driver.call(getattr(driver.client.api, method), *args, **kwargs)
    except NotFound:
        pass


def remove_network(driver: LocalDriver, external_id: str) -> None:
    _remove(driver, "remove_network", external_id)


# -- volumes ---------------------------------------------------------------------------

def create_volume(driver: LocalDriver, name: str, object_id: str, size_gb: int) -> Discovered:
    api = driver.client.api
    made = driver.call(api.create_volume, name, driver="local",
                        labels={**labels(driver, "volume", object_id), "cloudfold.size_gb": str(size_gb)})
    return mapping.volume(driver.call(api.inspect_volume, made["Name"]), driver.region)


def remove_volume(driver: LocalDriver, name: str) -> None:
    _remove(driver, "remove_volume", name)


# -- containers ------------------------------------------------------------------------

@dataclass
class ContainerSpec:
    name: str
    image: str
    object_id: str
    network: str | None = None  # engine network (a subnet) or None for the default one
    edge: str | None = None  # the network ports are published through (None: the default one)
    ports: list[tuple[int, int, str]] = field(default_factory=list)  # (host, container, protocol)
    mounts: dict[str, str] = field(default_factory=dict)  # engine volume name -> path inside
    command: list[str] | None = None
    env: dict[str, str] = field(default_factory=dict)
    nano_cpus: int | None = None
    memory_bytes: int | None = None
    memswap_bytes: int | None = None  # memory + swap (the engines' --memory-swap)
    publish_ip: str = "127.0.0.1"
    hostname: str | None = None
    start: bool = True
    restart: str | None = None  # a restart policy name, e.g. "unless-stopped"
    interactive: bool = False  # a terminal and open stdin (`run -dit`): a shell image keeps running
    authorized_keys: list[str] = field(default_factory=list)  # written to /root/.ssh before the start
    labels: dict[str, str] = field(default_factory=dict)  # more labels (cloudfold's own ones win)
    # files written before the start: path inside (no leading /) -> (content, mode); kept out of
    # the command, the environment and the engine's inspect answer (a cache's password file)
    files: dict[str, tuple[str, int]] = field(default_factory=dict)
    kind: str = "instance"  # the kind label (`cloudfold.kind`): what the container is to cloudfold


def _ensure_image(driver: LocalDriver, ref: str) -> None:
    if driver.image(ref) is not None:
        return
    if driver.account.config.get("pull_images"):
        repo, _, tag = ref.partition(":")
        try:
            driver.call(driver.client.api.pull, repo, tag=tag or "latest")
            return
        except DriverError as exc:
            raise ImageMissing(f"image {ref!r} is not on the engine and could not be pulled: {exc}") from None
    raise ImageMissing(f"image {ref!r} is not on the engine (set the account's pull_images to pull it)")


def _files_tar(dirs: dict[str, int], files: dict[str, tuple[str, int]]) -> bytes:
    """A tarball of directories (path -> mode) and files (path -> (content, mode)) to unpack at /."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, mode in dirs.items():
            d = tarfile.TarInfo(name)
            d.type, d.mode = tarfile.DIRTYPE, mode
            tar.addfile(d)
        for name, (text, mode) in files.items():
            data = text.encode()
            f = tarfile.TarInfo(name)
            f.size, f.mode = len(data), mode
            tar.addfile(f, io.BytesIO(data))
    return buf.getvalue()


def _authorized_keys_tar(keys: list[str]) -> bytes:
    return _files_tar({"root": 0o700, "root/.ssh": 0o700},
                      {"root/.ssh/authorized_keys": ("\n".join(keys) + "\n", 0o600)})


def create_container(driver: LocalDriver, spec: ContainerSpec) -> Discovered:
    """Create a container and start it (unless ``spec.start`` is false); one whose setup or
    start fails is removed again, or, when the engine is gone by then, named by ``HalfMade``."""
    api = driver.client.api
    _ensure_image(driver, spec.image)
    bindings = {f"{c}/{proto}": (spec.publish_ip, h or None) for h, c, proto in spec.ports}  # 0/None: any
    host_config = api.create_host_config(
        port_bindings=bindings or None,
        binds={vol: {"bind": path, "mode": "rw"} for vol, path in spec.mounts.items()} or None,
        nano_cpus=spec.nano_cpus, mem_limit=spec.memory_bytes, memswap_limit=spec.memswap_bytes,
        restart_policy={"Name": spec.restart} if spec.restart else None,
        network_mode=(spec.edge or PUBLISH_NETWORK) if spec.ports or not spec.network else spec.network)
    try:
        made = driver.call(api.create_container, spec.image, command=spec.command, name=spec.name,
                            environment=spec.env or None, labels={**spec.labels, **labels(driver, spec.kind, spec.object_id)},
                            ports=[(c, proto) for _, c, proto in spec.ports] or None, host_config=host_config,
                            hostname=spec.hostname, tty=spec.interactive, stdin_open=spec.interactive)
    except DriverError as exc:
        raise _why(exc) from None
    cid = made["Id"]
    try:
        if spec.authorized_keys:
            driver.call(api.put_archive, cid, "/", _authorized_keys_tar(spec.authorized_keys))
        if spec.files:
            driver.call(api.put_archive, cid, "/", _files_tar({}, spec.files))
        if spec.ports and spec.network:
            driver.call(api.connect_container_to_network, cid, spec.network)
        if spec.start:
            driver.call(api.start, cid)
        return mapping.container(driver.call(api.inspect_container, cid), driver.region)
    except DriverError as exc:
        try:
            remove_container(driver, cid)
        except DriverUnavailable as gone:
            raise HalfMade(f"{_why(exc)}; then removing the container failed too: {gone}", cid, spec.name) from None
        raise _why(exc) from None


def _why(exc: DriverError) -> DriverError:
    """A failed create or start: a missing network/volume is the engine's state, not the request's."""
    if isinstance(exc, NotFound):
        return ObjectMissing(f"the engine no longer has what the container needs: {exc}", upstream=exc.upstream)
    return exc


def remove_container(driver: LocalDriver, external_id: str) -> None:
    _remove(driver, "remove_container", external_id, force=True)


# -- what cloudfold made (the reconciler: domain/localcloud/reconcile.py) ------------------


@dataclass
class Made:
    """An engine object carrying cloudfold's id label: what it is, and how to remove it."""

    kind: str  # container | network | volume
    external_id: str
    labels: dict[str, str]

    @property
    def object_id(self) -> str:
        return self.labels[ID_LABEL]

    @property
    def owner(self) -> str | None:
        return self.labels.get(OWNER_LABEL)

    @property
    def worker(self) -> str | None:
        return self.labels.get(WORKER_LABEL)


def made_objects(driver: LocalDriver) -> list[Made]:
    """Every container, network and volume on the engine that carries a `cloudfold.id` label."""
    api, wanted = driver.client.api, {"label": [ID_LABEL]}
    out = [Made("container", c["Id"], c.get("Labels") or {})
           for c in driver.call(api.containers, all=True, filters=wanted)]
    out += [Made("network", n["Id"], n.get("Labels") or {}) for n in driver.call(api.networks, filters=wanted)]
    out += [Made("volume", v["Name"], v.get("Labels") or {})
            for v in (driver.call(api.volumes, filters=wanted) or {}).get("Volumes") or []]
    return [m for m in out if m.labels.get(ID_LABEL)]


def remove_made(driver: LocalDriver, made: Made) -> None:
    {"container": remove_container, "network": remove_network, "volume": remove_volume}[made.kind](
        driver, made.external_id)


def inspect_container(driver: LocalDriver, external_id: str) -> tuple[Discovered, dict[str, Any]]:
    """(the container as a record, its raw state) — to finish a half-made create."""
    attrs = driver.call(driver.client.api.inspect_container, external_id)
    return mapping.container(attrs, driver.region), attrs.get("State") or {}
