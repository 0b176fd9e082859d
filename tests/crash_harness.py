"""The crash harness: a real `cloudfold serve` driven through its API, killed with SIGKILL at
seeded random points and started again, and the invariants a crash must not break.

- `Rig` runs the server (tests/serve_process.py's command line) on the tests' Podman engine,
  with this session's labels on everything the local cloud makes, and opens the database
  the server uses, to look at what it stored.
- `Drive` fires a random mix of requests at once (creates through seed 003 and seed 004,
  deletes, actions, syncs, idempotent POSTs) in threads; the kill lands while they run.
- `violations` lists what is wrong now: an engine object cloudfold made without exactly one
  record with its owner, a record stuck in a transitional state, a task or sync lock owned by
  a process that is gone. The suite polls it until it is empty (a deadline, not a sleep),
  since the reconciler runs in the background after a start.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import docker
import httpx
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from serve_process import CLI, free_port, run_cli

TRANSITIONAL = ("creating", "deleting", "pending", "stopping", "starting")
PASSWORD = "crash-suite-pass"


def until(check: Callable[[], Any], timeout: float, what: str, every: float = 0.2) -> Any:
    """Poll ``check`` until it returns something truthy; fail with ``what`` at the deadline."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(every)
    raise AssertionError(f"{what} (not within {timeout} s; last: {last!r})")


def settle(problems: Callable[[], list[str]], timeout: float, every: float = 0.5) -> list[str]:
    """Poll ``problems`` until it lists none, or the deadline; return the last list."""
    deadline = time.monotonic() + timeout
    while True:
        found = problems()
        if not found or time.monotonic() >= deadline:
            return found
        time.sleep(every)


class Rig:
    """One cloudfold installation (data directory + database) served by a killable process."""

    def __init__(self, env: dict[str, str], log_dir, database_url: str) -> None:
        self.env, self.log_dir = env, log_dir
        self.proc: subprocess.Popen | None = None
        self.base = ""
        self.starts = 0
        self.db = create_engine(database_url)

    def start(self) -> str:
        port = free_port()
        self.starts += 1
        log = open(self.log_dir / f"serve-{self.starts}.log", "w")  # noqa: SIM115  (the process keeps it)
        self.proc = subprocess.Popen([*CLI, "serve", "--port", str(port)], env=self.env, stdout=log,
                                     stderr=subprocess.STDOUT, text=True)
        self.base = f"http://127.0.0.1:{port}"

        def live() -> bool:
            if self.proc.poll() is not None:
                raise AssertionError(f"cloudfold serve exited with {self.proc.returncode}: see {log.name}")
            try:
                return httpx.get(self.base + "/health/live", timeout=1).status_code == 200
            except httpx.TransportError:
                return False

        until(live, 60, "cloudfold serve came up")
        return self.base

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.db.dispose()

    def session(self) -> Session:
        return Session(self.db)

    def call(self, method: str, path: str, key: str, **kwargs) -> httpx.Response:
        return httpx.request(method, self.base + path, headers={"X-API-Key": key, **kwargs.pop("headers", {})},
                             timeout=kwargs.pop("timeout", 60), **kwargs)


def make_user(env: dict[str, str], email: str, admin: bool = False) -> str:
    """A user made with the CLI; returns an API key of theirs."""
    run_cli(env, "user", "create", email, "--password", PASSWORD, *(["--admin"] if admin else []))
    return run_cli(env, "apikey", "create", "--user", email).stdout.strip()


@dataclass
class Retry:
    """An idempotent POST sent before a kill, to be sent again after the restart."""

    path: str
    key: str
    body: dict[str, Any]
    name: str
    listing: str = "/instances"  # where the object it makes is listed (by name)


@dataclass
class Drive:
    """A random mix of requests in flight at once, for one kill."""

    rig: Rig
    rng: random.Random
    member: str
    admin: str
    image: str
    template: str
    aws_slug: str | None
    vpc: dict[str, Any] | None = None  # the member's VPC whose subnets come and go
    subnet_numbers: Any = None  # an iterator of unused third octets for /24 subnets
    retries: list[Retry] = field(default_factory=list)
    synced: bool = False
    threads: list[threading.Thread] = field(default_factory=list)
    outcomes: list[str] = field(default_factory=list)  # "<what> <status>" or "<what> killed"

    def _fire(self, fn: Callable[[], Any], what: str = "") -> None:
        def run() -> None:
            try:
                r = fn()
                self.outcomes.append(f"{what} {r.status_code}" + (f" {r.text[:200]}" if r.status_code >= 400 else ""))
            except httpx.TransportError:
                self.outcomes.append(f"{what} killed")

        t = threading.Thread(target=run, daemon=True)
        t.start()
        self.threads.append(t)

    def _instances(self) -> list[dict]:
        r = self.rig.call("GET", "/instances", self.member, timeout=10)
        return r.json() if r.status_code == 200 else []

    def create_instance(self) -> None:
        name = f"crash-{uuid.uuid4().hex[:6]}"
        body = {"name": name, "image": self.image, "command": ["sleep", "600"]}
        retry = Retry("/instances", uuid.uuid4().hex, body, name)
        self.retries.append(retry)
        self._fire(lambda: self.rig.call("POST", retry.path, self.member, json=body,
                                         headers={"Idempotency-Key": retry.key}), "POST /instances")

    def create_container(self) -> None:
        body = {"hostname": f"ct-crash-{uuid.uuid4().hex[:6]}", "template": self.template, "cores": 1, "memory": 64,
                "swap": 32, "start": self.rng.random() < 0.7}
        # seed 004's create needs the admin scope
        self._fire(lambda: self.rig.call("POST", "/api/containers", self.admin, json=body), "POST /api/containers")

    def delete_container(self) -> None:
        r = self.rig.call("GET", "/api/containers", self.admin, timeout=10)
        rows = r.json().get("containers", []) if r.status_code == 200 else []
        # seed 004's own (an admin sees every container, the member's instances too)
        rows = [c for c in rows if str(c.get("name", "")).startswith("ct-crash-") and c.get("status") != "creating"]
        if rows:
            vmid = self.rng.choice(rows)["vmid"]
            self._fire(lambda: self.rig.call("DELETE", f"/api/containers/{vmid}", self.admin), "DELETE /api/containers")

    def delete_one(self) -> None:
        retried = {r.name for r in self.retries}  # those must still exist after their retry
        live = [i for i in self._instances() if i.get("status") not in ("terminated", "creating")
                and i["name"] not in retried]
        if live:
            victim = self.rng.choice(live)
            self._fire(lambda: self.rig.call("DELETE", f"/instances/{victim['id']}", self.member), "DELETE /instances")

    def act(self) -> None:
        live = [i for i in self._instances() if i.get("status") in ("running", "stopped")]
        if live:
            victim = self.rng.choice(live)
            status = "stopped" if victim["status"] == "running" else "running"
            self._fire(lambda: self.rig.call("PUT", f"/instances/{victim['id']}", self.member, json={"status": status}),
                       f"PUT /instances {status}")

    def create_volume(self) -> None:
        body = {"name": f"vol-crash-{uuid.uuid4().hex[:6]}", "size_gb": 1}
        self._fire(lambda: self.rig.call("POST", "/volumes", self.member, json=body), "POST /volumes")

    def delete_volume(self) -> None:
        r = self.rig.call("GET", "/volumes", self.member, timeout=10)
        rows = [v for v in (r.json() if r.status_code == 200 else []) if v.get("status") not in TRANSITIONAL]
        if rows:
            victim = self.rng.choice(rows)
            self._fire(lambda: self.rig.call("DELETE", f"/volumes/{victim['id']}", self.member), "DELETE /volumes")

    def _subnets(self) -> list[dict]:
        r = self.rig.call("GET", f"/vpcs/{self.vpc['id']}/subnets", self.member, timeout=10)
        return r.json() if r.status_code == 200 else []

    def create_subnet(self) -> None:
        if self.vpc is None:
            return
        name = f"sn-crash-{uuid.uuid4().hex[:6]}"
        base = self.vpc["cidr_block"].split(".")
        body = {"name": name, "cidr_block": f"{base[0]}.{base[1]}.{next(self.subnet_numbers)}.0/24"}
        retry = Retry(f"/vpcs/{self.vpc['id']}/subnets", uuid.uuid4().hex, body, name, listing=f"/vpcs/{self.vpc['id']}/subnets")
        self.retries.append(retry)
        self._fire(lambda: self.rig.call("POST", retry.path, self.member, json=body,
                                         headers={"Idempotency-Key": retry.key}), "POST subnets")

    def delete_subnet(self) -> None:
        if self.vpc is None:
            return
        retried = {r.name for r in self.retries}
        rows = [n for n in self._subnets() if n.get("status") not in TRANSITIONAL and n["name"] not in retried]
        if rows:
            victim = self.rng.choice(rows)
            self._fire(lambda: self.rig.call("DELETE", f"/subnets/{victim['id']}", self.member), "DELETE /subnets")

    def sync(self) -> None:
        if self.aws_slug:
            self.synced = True
            self._fire(lambda: self.rig.call("POST", f"/api/resources/sync/{self.aws_slug}", self.admin),
                       "POST sync")

    def burst(self) -> None:
        """A create and one to three other operations at once, chosen by the seed."""
        self.rng.choice([self.create_instance, self.create_container])()
        ops = [self.create_instance, self.create_container, self.delete_one, self.delete_container, self.act,
               self.sync, self.create_volume, self.delete_volume, self.create_subnet, self.delete_subnet]
        for op in self.rng.sample(ops, self.rng.randint(1, 3)):
            op()

    def join(self) -> None:
        for t in self.threads:
            t.join(timeout=30)


def reordered(body: dict[str, Any]) -> bytes:
    """The same JSON with its keys in the reverse order (an idempotent retry need not keep it)."""
    return json.dumps(dict(reversed(list(body.items())))).encode()


def live_workers(s: Session) -> set[str]:
    from cloudfold.domain import workers
    from cloudfold.settings import Settings

    return workers.live_ids(s, Settings(worker_stale_seconds=30)) - {workers.PROCESS}


def violations(rig: Rig, engine_socket: str, labels: dict[str, str]) -> list[str]:
    """What breaks the crash invariants now (empty: nothing)."""
    from cloudfold.db.models import Account, CloudObject, Resource, Task, User
    from cloudfold.drivers.base import OWNER_LABEL
    from cloudfold.drivers.local.provision import ID_LABEL

    found: list[str] = []
    client = docker.DockerClient(base_url=engine_socket, timeout=60)
    try:
        made = client.containers.list(all=True, filters={"label": [f"{k}={v}" for k, v in labels.items()]})
        made = [(c.id, c.labels) for c in made]
        volumes = [(v.name, v.attrs.get("Labels") or {})
                   for v in client.volumes.list(filters={"label": [f"{k}={v}" for k, v in labels.items()]})]
        networks = [(n.name, n.attrs.get("Labels") or {})
                    for n in client.networks.list(filters={"label": [f"{k}={v}" for k, v in labels.items()]})]
    finally:
        client.close()
    with rig.session() as s:
        owners = dict(s.execute(select(User.uuid, User.id)).all())
        for cid, tags in made:
            rows = s.scalars(select(Resource).where(Resource.external_id == cid, Resource.vanished.is_(False))).all()
            obj = s.get(CloudObject, tags.get(ID_LABEL, ""))
            if len(rows) != 1:
                found.append(f"container {cid[:12]} has {len(rows)} records")
            elif obj is None or obj.resource_id != rows[0].id:
                found.append(f"container {cid[:12]} is not its labelled record's ({tags.get(ID_LABEL)})")
            elif rows[0].owner_id != owners.get(tags.get(OWNER_LABEL)) or obj.owner_id != rows[0].owner_id:
                found.append(f"container {cid[:12]} is owned by {rows[0].owner_id}, made for {tags.get(OWNER_LABEL)}")
        for name, tags in volumes:  # a volume: its labelled record, with the owner named on the engine
            obj = s.get(CloudObject, tags.get(ID_LABEL, ""))
            if obj is None or obj.resource.external_id != name:
                found.append(f"volume {name} is not its labelled record's ({tags.get(ID_LABEL)})")
            elif obj.owner_id != owners.get(tags.get(OWNER_LABEL)):
                found.append(f"volume {name} is owned by {obj.owner_id}, made for {tags.get(OWNER_LABEL)}")
        for name, tags in networks:  # a subnet's network: its labelled subnet record, with its owner
            obj = s.get(CloudObject, tags.get(ID_LABEL, ""))
            if obj is None or obj.kind not in ("subnet", "vpc"):
                found.append(f"network {name} is not its labelled record's ({tags.get(ID_LABEL)})")
            elif obj.owner_id != owners.get(tags.get(OWNER_LABEL)):
                found.append(f"network {name} is owned by {obj.owner_id}, made for {tags.get(OWNER_LABEL)}")
        stuck = s.scalars(select(Resource).where(Resource.vanished.is_(False),
                                                 Resource.kind.in_(("container", "volume", "subnet")),
                                                 Resource.status.in_(TRANSITIONAL))).all()
        found += [f"record {r.id} stuck {r.status}" for r in stuck]
        live = live_workers(s)
        for t in s.scalars(select(Task).where(Task.status.in_(("pending", "running")))):
            if t.worker_id not in live:
                found.append(f"task {t.id} ({t.name}) {t.status} under a process that is gone")
        for a in s.scalars(select(Account).where(Account.sync_running_since.is_not(None))):
            holder = s.get(Task, a.sync_task_id) if a.sync_task_id else None
            if holder is None or holder.status != "running" or holder.worker_id not in live:
                found.append(f"account {a.slug}: sync lock held by {a.sync_task_id}, which is not a live sync")
    return found
