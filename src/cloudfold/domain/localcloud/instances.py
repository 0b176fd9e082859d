"""Instances of the local cloud: containers on a subnet's engine network, with published
ports, mounted volumes, env, command and CPU/memory limits.

Status changes and termination go through `domain.actions` (the one action path: scope and
state checks, history, audit, /ws event), like /vms/{id}/stop does. Everything is checked
before the engine is asked (ownership of the VPC, subnet and volumes, ports other instances
publish, what the host can give), and a container whose start fails is removed again.
"""

from __future__ import annotations

import itertools
import random
import shlex
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cloudfold.db.models import CloudObject
from cloudfold.domain import actions, quotas, services
from cloudfold.domain.localcloud import core, networks, retries, volumes
from cloudfold.domain.localcloud.core import Cloud
from cloudfold.drivers.base import Discovered
from cloudfold.drivers.local import provision
from cloudfold.errors import BadRequest, Conflict

STATUS_ACTIONS = {"running": "start", "stopped": "stop"}
MIN_MEMORY_MB = 6  # the engines refuse less
ANY_PORT = 0  # a host port of 0: any free port


@dataclass
class Launch:
    name: str
    image: str
    vpc_id: str | None = None
    subnet_id: str | None = None
    ports: str | list[str] | None = None
    volumes: list[dict[str, str]] = field(default_factory=list)
    command: str | list[str] | None = None
    env: dict[str, str] = field(default_factory=dict)
    cpu: float | None = None
    memory: int | None = None  # MiB
    service: str | None = None  # the seed 000 service it belongs to (label cloudfold.service)
    # what seed 004's create adds (domain/localcloud/containers.py); /instances leaves the defaults
    engine_name: str | None = None  # the engine's name as given (else name + the object id's start)
    hostname: str | None = None
    swap: int | None = None  # MiB on top of memory
    start: bool = True
    restart: str | None = None
    interactive: bool = False
    ssh_keys: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)  # recorded with the spec as given
    # what other services on this core add (domain/caches): files written before the start (never
    # recorded) and the container's kind label
    files: dict[str, tuple[str, int]] = field(default_factory=dict)
    kind: str = "instance"


@dataclass
class Plan:
    """A checked launch: where it goes, the engine's container spec and the record's spec."""

    account: Any
    vpc: CloudObject | None
    subnet: CloudObject | None
    container: provision.ContainerSpec
    spec: dict[str, Any]


def parse_ports(value: str | list[str] | None) -> list[tuple[int, int, str]]:
    """"80:80", "8080:80/tcp", "53/udp" or a list (or comma-separated string) of them; host
    port 0 ("0:80") is any free port (`_pick_ports`)."""
    items = value.split(",") if isinstance(value, str) else list(value or [])
    out = []
    for item in (i.strip() for i in items if i.strip()):
        spec, _, proto = item.partition("/")
        host, _, inner = spec.rpartition(":")
        try:
            pair = (int(host or inner), int(inner))
        except ValueError:
            raise BadRequest(f"port {item!r} is not HOST:CONTAINER[/tcp|udp]") from None
        if not (0 <= pair[0] <= 65535 and 1 <= pair[1] <= 65535) or (proto or "tcp") not in ("tcp", "udp"):
            raise BadRequest(f"port {item!r}: ports are 1-65535 (host port 0: any free one) "
                             "and the protocol tcp or udp")
        out.append((*pair, proto or "tcp"))
    hosts = [(h, p) for h, _, p in out if h != ANY_PORT]
    if len(set(hosts)) != len(hosts):
        raise BadRequest("the same host port is published twice")
    return out


def _placement(cloud: Cloud, launch: Launch) -> tuple[CloudObject | None, CloudObject | None]:
    """(vpc, subnet): a subnet names its VPC; a VPC alone means its first subnet."""
    subnet = networks.get_subnet(cloud, launch.subnet_id) if launch.subnet_id else None
    vpc = networks.get_vpc(cloud, launch.vpc_id) if launch.vpc_id else None
    if subnet is not None and vpc is not None and subnet.vpc_id != vpc.id:
        raise BadRequest(f"subnet {subnet.id} is not in VPC {vpc.id}")
    if subnet is None and vpc is not None:
        subnet = next(iter(networks.list_subnets(cloud, vpc.id)), None)
        if subnet is None:
            raise BadRequest(f"VPC {vpc.name!r} has no subnet yet; create one first")
    if subnet is not None and vpc is None:
        vpc = networks.get_vpc(cloud, subnet.vpc_id)
    return vpc, subnet


def _mounts(cloud: Cloud, wanted: list[dict[str, str]]) -> dict[str, str]:
    mounts: dict[str, str] = {}
    for m in wanted:
        vol, path = volumes.get(cloud, m["volume_id"]), m["mount_path"]
        if not path.startswith("/") or path == "/":
            raise BadRequest(f"mount_path {path!r} must be an absolute path other than /")
        if vol.resource.external_id in mounts or path in mounts.values():
            raise BadRequest("a volume or a mount_path appears twice")
        mounts[vol.resource.external_id] = path
    return mounts


def _published(cloud: Cloud, account_id: int) -> set[tuple[int, str]]:
    """(host port, protocol) of every live instance on the account."""
    return {(x[0], x[2]) for kind in core.CONTAINER_KINDS for other in cloud.session.scalars(core.objects(kind))
            if other.resource.account_id == account_id for x in other.spec.get("ports") or []}


def _check_ports_free(cloud: Cloud, account_id: int, ports: list[tuple[int, int, str]],
                      on_engine: set[tuple[int, str]]) -> None:
    wanted = {(h, p) for h, _, p in ports if h != ANY_PORT}
    if wanted and wanted & (_published(cloud, account_id) | on_engine):
        raise Conflict(quotas.NOT_AVAILABLE)  # the same answer as a port taken on the host


def _free_on_host(ip: str, port: int, proto: str) -> bool:
    kind = socket.SOCK_DGRAM if proto == "udp" else socket.SOCK_STREAM
    with socket.socket(socket.AF_INET6 if ":" in ip else socket.AF_INET, kind) as s:
        try:
            s.bind((ip, port))
        except OSError:
            return False
    return True


def _pick_ports(cloud: Cloud, account_id: int, ports: list[tuple[int, int, str]],
                on_engine: set[tuple[int, str]]) -> list[tuple[int, int, str]]:
    """Host port 0 is any free port: for a member, one of the range they may publish that no
    instance publishes, no container on the engine publishes (``on_engine``) and nothing on this
    host holds (none left: 409), looked for from a random place in the range, so that launches
    at the same moment (other API processes, or other engines on the host) rarely reach for
    the same port; for an admin the engine picks, and the record takes the engine's choice
    (`_chosen_ports`)."""
    if all(h != ANY_PORT for h, _, _ in ports) or not quotas.enforced(cloud.principal):
        return ports
    taken = _published(cloud, account_id) | on_engine | {(h, p) for h, _, p in ports}
    picked = []
    for host, inner, proto in ports:
        if host == ANY_PORT:
            allowed = cloud.settings.publish_ports
            start = random.randrange(len(allowed))
            host = next((x for x in itertools.chain(allowed[start:], allowed[:start]) if (x, proto) not in taken
                         and _free_on_host(cloud.settings.local_publish_ip, x, proto)), None)
            if host is None:
                raise Conflict(quotas.NOT_AVAILABLE)
            taken.add((host, proto))
        picked.append((host, inner, proto))
    return picked


def _chosen_ports(ports: list[list], found: Discovered) -> list[list]:
    """The planned ports with each host port 0 replaced by the one the engine bound."""
    bound = {}
    for entry in found.metadata.get("ports") or []:  # "127.0.0.1:41234->80/tcp"
        address, _, inner = entry.partition("->")
        bound.setdefault(inner, int(address.rpartition(":")[2]))
    return [[bound.get(f"{c}/{p}", h) if h == ANY_PORT else h, c, p] for h, c, p in ports]


def _check_capacity(driver, launch: Launch) -> None:
    memory, cpus = driver.capacity()
    if launch.memory is not None and (launch.memory < MIN_MEMORY_MB or (memory and launch.memory * 2**20 > memory)):
        raise BadRequest(f"memory {launch.memory} MiB: the host can give {MIN_MEMORY_MB} to {memory // 2**20} MiB")
    if launch.cpu is not None and (launch.cpu <= 0 or (cpus and launch.cpu > cpus)):
        raise BadRequest(f"cpu {launch.cpu}: the host has {cpus} CPU(s)")


def plan(cloud: Cloud, launch: Launch, object_id: str | None = None) -> Plan:
    """Every check a launch meets before the engine makes anything (ownership, ports, what the
    host can give, the image on the engine); raises the refusal, else returns the plan."""
    vpc, subnet = _placement(cloud, launch)
    account = subnet.resource.account if subnet is not None else core.local_account(cloud)
    wanted = parse_ports(launch.ports)
    # asked-for ports outside the caller's range are refused before the engine is asked anything
    # (a port 0 is picked inside it)
    quotas.check_publish(cloud.settings, cloud.principal, (h for h, _, _ in wanted if h != ANY_PORT))
    mounts = _mounts(cloud, launch.volumes)
    with core.engine(cloud, account) as driver:  # one engine session for every check below
        on_engine = driver.published_ports() if any(h != ANY_PORT or quotas.enforced(cloud.principal)
                                                     for h, _, _ in wanted) else set()
        ports = _pick_ports(cloud, account.id, wanted, on_engine)
        _check_ports_free(cloud, account.id, ports, on_engine)
        if launch.swap is not None and (launch.swap < 0 or launch.memory is None):
            raise BadRequest("swap is MiB (0 or more) on top of a memory limit")
        _check_capacity(driver, launch)
        if driver.image(launch.image) is None and not driver.account.config.get("pull_images"):
            raise provision.ImageMissing(f"image {launch.image!r} is not on the engine "
                                         "(set the account's pull_images to pull it)")
    command = shlex.split(launch.command) if isinstance(launch.command, str) else launch.command
    object_id = object_id or core.new_id()
    memory = launch.memory * 2**20 if launch.memory else None
    container = provision.ContainerSpec(
        name=launch.engine_name or core.engine_name(launch.name, object_id), image=launch.image,
        object_id=object_id, network=subnet.spec["network"] if subnet is not None else None, ports=ports,
        edge=networks.edge_name(vpc) if vpc is not None and ports else None,
        mounts=mounts, command=command or None, env=launch.env,
        nano_cpus=int(launch.cpu * 1e9) if launch.cpu else None, memory_bytes=memory,
        memswap_bytes=memory + launch.swap * 2**20 if memory and launch.swap is not None else None,
        publish_ip=cloud.settings.local_publish_ip, hostname=launch.hostname, start=launch.start,
        restart=launch.restart, interactive=launch.interactive, authorized_keys=list(launch.ssh_keys),
        labels={services.SERVICE_LABEL: launch.service} if launch.service else {}, files=launch.files,
        kind=launch.kind)
    spec = {"image": launch.image, "ports": [list(p) for p in ports], "volumes": launch.volumes,
            "command": command, "env": launch.env, "cpu": launch.cpu, "memory": launch.memory,
            "network": container.network, **({"swap": launch.swap} if launch.swap is not None else {}),
            **({"restart": launch.restart} if launch.restart else {}),
            **({"service": launch.service} if launch.service else {}), **launch.extra}
    return Plan(account, vpc, subnet, container, spec)


def reserve(cloud: Cloud, plan: Plan, name: str, via: str, answered: bool = True, kind: str = "instance") -> CloudObject:
    """Record a planned instance (or another ``kind`` of container: a cache) before the engine
    makes it (status `creating`), so a face that answers at once (seed 004) can name it;
    `build(…, reserved=)` completes it."""
    return core.reserve(cloud, plan.account, kind, "container", object_id=plan.container.object_id, name=name,
                        engine_name=plan.container.name, spec=plan.spec, via=via, answered=answered,
                        vpc_id=plan.vpc.id if plan.vpc else None, subnet_id=plan.subnet.id if plan.subnet else None)


def build(cloud: Cloud, plan: Plan, name: str, reserved: CloudObject | None = None,
          ready: Callable[[Discovered, list[list]], None] | None = None) -> CloudObject:
    """Make the planned container on the engine and store it: a new record, or the reserved one
    completed. Whatever fails after the engine made it removes the engine object again; when
    the engine is gone by then, the record is kept with status `error` (never lost) and
    `core.KeptHalfMade` says so. ``ready(found, ports)`` waits for the program in the container
    to serve (a cache's Redis); when it raises, the container is removed and the error raised."""
    edge, half_made = plan.container.edge, None
    if edge is not None and plan.vpc.spec.get("edge") != edge:
        # recorded before the engine makes it: the VPC's delete (or the reconciler's, when this
        # process dies) removes it by name; one that is not there is fine
        plan.vpc.spec = {**plan.vpc.spec, "edge": edge}
        cloud.session.commit()
    with core.engine(cloud, plan.account) as driver:
        if edge is not None:
            provision.ensure_edge_network(driver, edge, plan.vpc.id,
                                          lambda ranges: networks.edge_range(cloud, plan.vpc, ranges))
        try:
            found = provision.create_container(driver, plan.container)
        except provision.HalfMade as exc:
            half_made = exc
    if half_made is not None:
        found = Discovered(kind="container", external_id=half_made.external_id, name=half_made.name,
                           status="error", region=plan.account.region, metadata={"error": str(half_made)})
        obj = _store(cloud, plan, name, found, reserved, undo=lambda: None)
        raise core.KeptHalfMade(
            f"Container engine unreachable during the create: {half_made}. The instance {obj.id} is kept with "
            "status 'error' and its container may still be on the engine: delete the instance once the engine "
            "answers again")
    ports = _chosen_ports(plan.spec["ports"], found)
    if ports != plan.spec["ports"]:
        plan.spec = {**plan.spec, "ports": ports}  # a new dict: the reserved record may share the old one
        if reserved is not None:
            reserved.spec = {**reserved.spec, "ports": ports}
    undo = core.remover(cloud, plan.account, provision.remove_container, found.external_id)
    if ready is not None:
        try:
            ready(found, plan.spec["ports"])
        except Exception:
            undo()
            raise
    return _store(cloud, plan, name, found, reserved, undo)


def _store(cloud: Cloud, plan: Plan, name: str, found: Discovered, reserved: CloudObject | None,
           undo) -> CloudObject:
    if reserved is not None:
        return core.complete(cloud, reserved, found, undo=undo)
    return core.record(cloud, plan.account, "instance", "container", found, object_id=plan.container.object_id,
                       name=name, vpc_id=plan.vpc.id if plan.vpc else None,
                       subnet_id=plan.subnet.id if plan.subnet else None, spec=plan.spec, undo=undo)


def claim(cloud: Cloud, plan: Plan) -> None:
    """Count the planned instance against the caller's quotas (403 when over), holding their
    lock until the record is stored (`quotas.claim`)."""
    quotas.claim_object(cloud.session, cloud.settings, cloud.principal, "instance", plan.spec)


def create(cloud: Cloud, launch: Launch) -> CloudObject:
    return launch_container(cloud, launch, "instance", "POST /instances")


def launch_container(cloud: Cloud, launch: Launch, kind: str, via: str,
                     ready: Callable[[Discovered, list[list]], None] | None = None) -> CloudObject:
    """Plan, count against the quotas of ``kind``, record the intent (`reserve`, before the
    engine is asked), then make it (`build`, with its ``ready`` check, which may add rows the
    record's commit stores); a create that fails drops the record again (its id was never
    answered)."""
    made = retries.replayed(cloud, kind)
    if made is not None:
        return made
    planned = plan(cloud, launch)
    quotas.claim_object(cloud.session, cloud.settings, cloud.principal, kind, planned.spec)
    reserved = reserve(cloud, planned, launch.name, via, answered=False, kind=kind)
    try:
        return build(cloud, planned, launch.name, reserved=reserved, ready=ready)
    except core.KeptHalfMade:
        raise
    except Exception as exc:
        core.discard(cloud, reserved, str(getattr(exc, "message", None) or exc))
        raise


def list_mine(cloud: Cloud) -> list[CloudObject]:
    return core.mine(cloud, "instance")


def get(cloud: Cloud, instance_id: str, live: bool = False) -> CloudObject:
    obj = core.get(cloud, "instance", instance_id)
    if live:
        actions.refresh(cloud.session, cloud.bus, cloud.box, cloud.settings, obj.resource)
    return obj


def _act(cloud: Cloud, obj: CloudObject, action: str, via: str) -> CloudObject:
    actions.perform(cloud.session, cloud.ctx, cloud.bus, cloud.box, cloud.settings, obj.resource, action, via)
    return obj


def set_status(cloud: Cloud, instance_id: str, status: str) -> CloudObject:
    if status not in STATUS_ACTIONS:
        raise BadRequest(f"status must be one of: {', '.join(STATUS_ACTIONS)}")
    # the live state first: a container that exited on its own is "stopped", not "running"
    return _act(cloud, get(cloud, instance_id, live=True), STATUS_ACTIONS[status], "PUT /instances/{id}")


def terminate(cloud: Cloud, instance_id: str) -> CloudObject:
    """Remove the container (its volumes stay); the record stays, terminated, for its history."""
    return _act(cloud, get(cloud, instance_id), "terminate", "DELETE /instances/{id}")


def private_ip(obj: CloudObject) -> str | None:
    meta: dict[str, Any] = obj.resource.meta or {}
    network = obj.spec.get("network")
    return (meta.get("ip_addresses") or {}).get(network) if network else meta.get("private_ip")
