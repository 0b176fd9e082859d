"""Seed 004's `POST /api/containers` on the local cloud: an LXC-style request mapped onto the
one instance core (`instances.plan` / `reserve` / `build`, as /instances uses it).

The request is checked at once (every refusal answers immediately, in the one error shape),
the record is reserved (its vmid is answered), and a `container.create` job makes the
container on the engine, logging each step to its task. Mapping (docs/architecture.md):

- template → the catalog's image (`domain/templates.py`); unknown → 400
- cores → CPU limit; memory/swap (MB) → memory limit / memory+swap limit
- rootfs (GB, or Proxmox's "storage:size") and storage → recorded; the size is not enforced
- network → the engine's default network (bridge vmbr0, ip dhcp); anything else → 400
- password → 400: cloudfold never stores a plain password; use ssh_keys
- ssh_keys → written to /root/.ssh/authorized_keys before the start (the template must run
  an ssh server to use them)
- start → started after the create; onboot → restart policy `unless-stopped`
- unprivileged → true only (engine containers are never privileged); features → recorded when
  all off, any feature turned on → 400
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import select

from cloudfold.db.models import CloudObject, Task
from cloudfold.domain import actions, inventory, proxicloud, templates
from cloudfold.domain.localcloud import core, instances, retries
from cloudfold.domain.localcloud.core import Cloud
from cloudfold.errors import BadRequest, Conflict, Forbidden, NotFound
from cloudfold.jobs.registry import JobContext, job

HOSTNAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
STORAGES = ("local-lvm", "local")
BRIDGES = ("vmbr0",)
NETWORK_KEYS = {"name", "bridge", "ip", "ip6", "firewall", "type"}
SSH_KEY = re.compile(r"^(ssh-(rsa|ed25519|dss)|ecdsa-sha2-nistp\d+|sk-[a-z0-9-]+@openssh\.com) [A-Za-z0-9+/=]+( .*)?$")
VIA = "POST /api/containers"


@dataclass
class CreateRequest:
    """Seed 004's body, with its documented defaults."""

    template: str
    hostname: str | None = None
    cores: int = 2
    memory: int = 1024
    swap: int = 512
    rootfs: int | str = 9
    storage: str = "local-lvm"
    network: dict[str, Any] | str | None = None
    password: str | None = None
    ssh_keys: list[str] | str | None = None
    start: bool = False
    onboot: bool = True
    unprivileged: bool = True
    features: dict[str, Any] | str | None = field(default_factory=dict)


def _rootfs(value: int | str, storage: str) -> tuple[str, int]:
    """(storage, GB) from `8` or Proxmox's "local-lvm:8"."""
    if isinstance(value, str):
        pool, sep, size = value.rpartition(":")
        storage = pool if sep else storage
        try:
            value = int(size.removesuffix("G"))
        except ValueError:
            raise BadRequest(f"rootfs {value!r} is not a size in GB or 'storage:size'") from None
    if storage not in STORAGES:
        raise BadRequest(f"Storage '{storage}' not found: this node has {', '.join(STORAGES)}")
    if not 1 <= value <= 1024:
        raise BadRequest(f"rootfs {value}: the root disk size is 1 to 1024 GB")
    return storage, value


def _pairs(text: str, what: str, form: str) -> dict[str, str]:
    """Proxmox's "key=value,key=value" option strings."""
    try:
        return dict(part.split("=", 1) for part in text.split(",") if part.strip())
    except ValueError:
        raise BadRequest(f"{what} {text!r} is not {form}") from None


def _network(value: dict[str, Any] | str | None) -> dict[str, str]:
    """Seed 004's object, or Proxmox's "name=eth0,bridge=vmbr0,ip=dhcp"; only what the engine's
    default network gives (one interface, an address by DHCP) is accepted."""
    if isinstance(value, str):
        value = _pairs(value, "network", "'key=value,…' (e.g. 'name=eth0,bridge=vmbr0,ip=dhcp')")
    given = {k: str(v) for k, v in (value or {}).items()}
    net = {"name": "eth0", "bridge": "vmbr0", "ip": "dhcp", "ip6": "dhcp", **given}
    unknown = sorted(set(net) - NETWORK_KEYS)
    if unknown:
        raise BadRequest(f"network: {', '.join(unknown)} cannot be set here (one interface on the default network)")
    if net["bridge"] not in BRIDGES:
        raise BadRequest(f"Bridge '{net['bridge']}' not found: containers join the default network (bridge vmbr0)")
    if net["name"] != "eth0":
        raise BadRequest("network: the one interface is eth0")
    if net["ip"] != "dhcp" or net["ip6"] not in ("dhcp", "auto", "manual"):
        raise BadRequest("network: static addresses cannot be given; the default network assigns them (ip=dhcp)")
    return net


def _ssh_keys(value: list[str] | str | None) -> list[str]:
    keys = [k.strip() for k in (value.splitlines() if isinstance(value, str) else value or []) if k.strip()]
    for key in keys:
        if not SSH_KEY.match(key) or len(key) > 16384:
            raise BadRequest(f"ssh_keys: {key[:30]!r}… is not an OpenSSH public key")
    return keys


def _features(value: dict[str, Any] | str | None) -> dict[str, bool]:
    if isinstance(value, str):  # Proxmox's "nesting=1,keyctl=0"
        value = _pairs(value, "features", "'feature=0|1,…'")
    out = {str(k): str(v).lower() in ("1", "true", "yes", "on") for k, v in (value or {}).items()}
    on = sorted(k for k, v in out.items() if v)
    if on:
        raise BadRequest(f"features {', '.join(on)} cannot be given: containers here are unprivileged "
                         "engine containers without nesting, keyctl, fuse or mounts")
    return out


def to_launch(cloud: Cloud, req: CreateRequest) -> instances.Launch:
    """The request checked and mapped onto the instance core's Launch (400 for what cannot be given)."""
    if req.password is not None:
        raise BadRequest("password is not supported: cloudfold never stores a plain password; "
                         "give ssh_keys (written to /root/.ssh/authorized_keys)")
    if not req.unprivileged:
        raise BadRequest("unprivileged=false is not offered: engine containers are never privileged")
    hostname = req.hostname if req.hostname is not None else proxicloud.free_name(cloud.session)[0]
    if not HOSTNAME.match(hostname):
        raise BadRequest(f"hostname {hostname!r} is not a valid hostname: 1-63 letters, digits or '-', "
                         "starting and ending with a letter or digit")
    if isinstance(req.cores, bool) or not 1 <= req.cores <= 512:
        raise BadRequest(f"cores {req.cores}: 1 or more CPU cores")
    if not instances.MIN_MEMORY_MB <= req.memory <= 2**22:
        raise BadRequest(f"memory {req.memory}: RAM is {instances.MIN_MEMORY_MB} MB or more")
    if not 0 <= req.swap <= 2**22:
        raise BadRequest(f"swap {req.swap}: swap is 0 MB or more")
    storage, size = _rootfs(req.rootfs, req.storage)
    try:
        template = templates.catalog(cloud.settings)[req.template]
    except KeyError:
        raise BadRequest(f"Template '{req.template}' not found") from None
    if proxicloud.name_taken(cloud.session, hostname):
        raise Conflict(f"A container named '{hostname}' already exists")
    keys = _ssh_keys(req.ssh_keys)
    extra = {"template": template.id, "hostname": hostname, "rootfs": size, "storage": storage,
             "network": _network(req.network), "onboot": req.onboot, "unprivileged": True,
             "features": _features(req.features), "ssh_keys": keys, "start": req.start}
    return instances.Launch(name=hostname, image=template.image, engine_name=hostname, hostname=hostname,
                            cpu=float(req.cores), memory=req.memory, swap=req.swap, start=req.start,
                            restart="unless-stopped" if req.onboot else None, interactive=True, ssh_keys=keys,
                            extra={k: v for k, v in extra.items() if k != "network"} | {"net0": extra["network"]})


@dataclass
class Creating:
    """A container reserved (status ``creating``) whose `container.create` task makes it."""
    vmid: int
    name: str
    task_id: str
    status: str  # the reserved record's: creating


def _create_task(cloud: Cloud, obj: CloudObject) -> str:
    """The `container.create` task that makes ``obj`` (the answer a retried request repeats);
    when the first attempt died before it was queued, the reconciler's task makes it."""
    recent = cloud.session.scalars(select(Task).where(Task.name == "container.create",
                                                      Task.owner_id == cloud.principal.user_id)
                                   .order_by(Task.created_at.desc()).limit(100))
    return next((t.id for t in recent if (t.payload or {}).get("object_id") == obj.id), "")


def create(cloud: Cloud, queue, req: CreateRequest) -> Creating:
    """Check and reserve now, create in a `container.create` job."""
    made = retries.replayed(cloud, "instance", answered=True)
    if made is not None:
        return Creating(inventory.vmid_of(made.resource), made.name, _create_task(cloud, made), made.resource.status)
    launch = to_launch(cloud, req)
    plan = instances.plan(cloud, launch)
    instances.claim(cloud, plan)
    obj = instances.reserve(cloud, plan, launch.name, VIA)
    payload = {"object_id": obj.id, "launch": asdict(launch), **actions.identity(cloud.ctx, cloud.session)}
    try:
        task_id = queue.enqueue("container.create", payload, cloud.principal.user_id)
    except Exception as exc:
        core.abandon(cloud, obj, f"could not enqueue: {exc}")
        raise
    return Creating(inventory.vmid_of(obj.resource), launch.name, task_id, obj.resource.status)


@job("container.create")
def create_job(jctx: JobContext, payload: dict) -> dict:
    runtime = jctx.services
    launch = instances.Launch(**payload["launch"])
    with jctx.sessions() as session:
        cloud = Cloud(session, actions.claimed_context(payload), runtime.events, runtime.secretbox, jctx.settings)
        obj = session.get(CloudObject, payload["object_id"])
        if obj is None:
            raise NotFound("the reserved container record is gone")
        try:
            cloud.ctx = actions.job_context(payload, session)  # the caller's rights now
        except Forbidden as exc:
            jctx.log(f"create refused: {exc.message}")
            core.abandon(cloud, obj, exc.message)
            raise
        vmid = inventory.vmid_of(obj.resource)
        jctx.log(f"creating container {launch.name} (vmid {vmid}) from template {launch.extra['template']} "
                 f"(image {launch.image}): {launch.cpu:g} cores, {launch.memory} MB memory, {launch.swap} MB swap")
        try:
            plan = instances.plan(cloud, launch, object_id=obj.id)  # the engine may have changed since
            jctx.progress(0.3, "checked: the image is on the engine and the host can give the limits")
            obj = instances.build(cloud, plan, launch.name, reserved=obj)
        except core.KeptHalfMade as exc:
            jctx.log(f"create failed half-way, the record is kept with status 'error': {exc.message}")
            raise
        except Exception as exc:
            jctx.log(f"create failed: {getattr(exc, 'message', None) or exc}")
            core.abandon(cloud, obj, str(exc))
            raise
        if launch.ssh_keys:
            jctx.log(f"wrote {len(launch.ssh_keys)} ssh key(s) to /root/.ssh/authorized_keys")
        row = obj.resource
        jctx.log(f"container {row.name} created ({row.external_id[:12]})" +
                 (f", started: {row.status}" if launch.start else ", not started (start=false)"))
        return {"vmid": vmid, "resource_id": row.id, "instance_id": obj.id, "status": row.status}
