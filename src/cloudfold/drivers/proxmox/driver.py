"""ProxmoxDriver: QEMU VMs ("vm") and LXC containers ("container") of a Proxmox VE node or
cluster, through the PVE HTTP API with ``proxmoxer``'s https backend.

- external ids are ``{node}/{qemu|lxc}/{vmid}``; a guest migrated to another node therefore
  shows up under a new id on the next sync (and the old id reports "gone").
- pages(): one page per node per guest type, from GET /nodes, then /nodes/{node}/qemu and
  /nodes/{node}/lxc. A node that /nodes reports as not online is listed from
  /cluster/resources instead (status "unknown"), so its guests are not marked vanished.
- act(): power actions return a task (UPID) that is awaited via
  /nodes/{node}/tasks/{upid}/status, bounded by config ``task_timeout``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, ClassVar, TypeVar

from proxmoxer import ProxmoxAPI

from cloudfold.drivers.base import ACTIONS, Discovered, Driver, DriverError, InvalidCredentials, InvalidRequest
from cloudfold.drivers.proxmox import connection, mapping
from cloudfold.drivers.proxmox.errors import GuestMissing, boundary
from cloudfold.drivers.proxmox.mapping import TYPE_OF_KIND, GuestRef

T = TypeVar("T")

# cloudfold action -> PVE status/{verb}; terminate is DELETE (after a stop). A graceful stop
# is PVE's `shutdown` (the guest OS shuts down; `timeout` seconds, then PVE forces it); a
# forced one is PVE's `stop` (pulling the plug)
POWER_VERBS = {"start": "start", "stop": "shutdown", "reboot": "reboot", "reset": "reset"}
POLL_FIRST_S, POLL_MAX_S = 0.05, 2.0


class ProxmoxDriver(Driver):
    provider_type = "proxmox"
    kinds = ("vm", "container")
    credential_fields = ("user",)
    optional_credential_fields = ("password", "token_name", "token_value")
    config_fields = ("host", "verify_ssl")
    actions: ClassVar[dict[str, frozenset[str]]] = {"start": frozenset(), "stop": frozenset({"force", "timeout"}), "reboot": frozenset({"timeout"}),
               "reset": frozenset(), "terminate": frozenset()}  # reset: QEMU only
    capabilities = frozenset({"metrics"})  # guests' rrddata (mapping.rrd_reading)

    def __init__(self, account) -> None:
        super().__init__(account)
        self._api: ProxmoxAPI | None = None
        self._conn: connection.Connection | None = None

    @classmethod
    def validate(cls, credentials: dict[str, Any], config: dict[str, Any]) -> None:
        connection.parse(credentials or {}, config or {})

    # -- connection ----------------------------------------------------------------
    @property
    def conn(self) -> connection.Connection:
        if self._conn is None:
            try:
                self._conn = connection.parse(self.account.credentials or {}, self.account.config or {})
            except InvalidCredentials as exc:
                raise DriverError(f"proxmox account misconfigured: {exc}") from exc
        return self._conn

    @property
    def api(self) -> ProxmoxAPI:
        if self._api is None:
            # password auth logs in (POST /access/ticket) right here, so it is inside the boundary
            with boundary("connect"):
                self._api = ProxmoxAPI(**self.conn.proxmoxer_kwargs())
        return self._api

    def _call(self, what: str, fn: Callable[[], T]) -> T:
        with boundary(what):
            return fn()

    def ping(self) -> None:
        version = self._call("GET /version", lambda: self.api.version.get())
        if not isinstance(version, dict) or "version" not in version:
            raise DriverError("unexpected answer from GET /version", upstream=repr(version)[:500])

    def close(self) -> None:
        if self._api is not None:
            session = getattr(self._api, "_store", {}).get("session")
            if session is not None:
                session.close()
            self._api = None

    def _region(self, node: str) -> str:
        return self.conn.region or node

    # -- reading -------------------------------------------------------------------
    def _nodes(self) -> list[dict[str, Any]]:
        nodes = self._call("GET /nodes", lambda: self.api.nodes.get())
        if not isinstance(nodes, list) or not all(isinstance(n, dict) and n.get("node") for n in nodes):
            raise DriverError("unexpected answer from GET /nodes", upstream=repr(nodes)[:500])
        return sorted(nodes, key=lambda n: n["node"])

    def _list(self, node: str, type_: str) -> list[dict[str, Any]]:
        # full=1 makes QEMU entries carry qmpstatus, so a paused VM lists as paused (as get() says)
        params = {"full": 1} if type_ == "qemu" else {}
        items = self._call(f"GET /nodes/{node}/{type_}",
                           lambda: self.api.nodes(node)(type_).get(**params))
        if not isinstance(items, list):
            raise DriverError(f"unexpected answer from GET /nodes/{node}/{type_}", upstream=repr(items)[:500])
        return [i for i in items if isinstance(i, dict) and i.get("vmid") is not None]

    def _cluster_guests(self) -> list[dict[str, Any]]:
        items = self._call("GET /cluster/resources", lambda: self.api.cluster.resources.get(type="vm"))
        if not isinstance(items, list):
            raise DriverError("unexpected answer from GET /cluster/resources", upstream=repr(items)[:500])
        return [i for i in items if isinstance(i, dict) and i.get("vmid") is not None]

    def pages(self, kinds: tuple[str, ...] | None = None) -> Iterator[list[Discovered]]:
        wanted = [k for k in self.kinds if k in (kinds or self.kinds)]
        if not wanted:
            return
        cluster: list[dict[str, Any]] | None = None
        for entry in self._nodes():
            node, node_status = entry["node"], entry.get("status") or "unknown"
            for kind in wanted:
                type_ = TYPE_OF_KIND[kind]
                if node_status == "online":
                    yield [mapping.guest(r, node, type_, self._region(node)) for r in self._list(node, type_)]
                    continue
                # the node cannot answer; the cluster still knows its guests (status "unknown")
                if cluster is None:
                    cluster = self._cluster_guests()
                yield [mapping.guest(r, node, type_, self._region(node), node_status=node_status)
                       for r in cluster if r.get("node") == node and r.get("type") == type_]

    def _current(self, ref: GuestRef) -> dict[str, Any]:
        data = self._call(f"GET {ref.external_id} status",
                          lambda: self.api.nodes(ref.node)(ref.type)(ref.vmid).status.current.get())
        if not isinstance(data, dict):
            raise DriverError(f"unexpected answer for the status of {ref.label}", upstream=repr(data)[:500])
        data.setdefault("vmid", ref.vmid)
        return data

    def metrics(self, external_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Each guest's newest rrddata point (PVE's per-minute averages of the last hour);
        a guest gone meanwhile is left out."""
        found: dict[str, dict[str, Any]] = {}
        for external_id in external_ids:
            parts = external_id.split("/")
            ref = mapping.parse_external_id(mapping.KIND_OF_TYPE.get(parts[1] if len(parts) == 3 else "", "vm"),
                                            external_id)
            try:
                points = self._call(f"GET {external_id} rrddata", lambda: self.api.nodes(ref.node)(ref.type)(
                    ref.vmid).rrddata.get(timeframe="hour", cf="AVERAGE"))
            except GuestMissing:
                continue
            reading = mapping.rrd_reading(points if isinstance(points, list) else [])
            if reading:
                found[external_id] = reading
        return found

    def get(self, kind: str, external_id: str) -> Discovered | None:
        ref = mapping.parse_external_id(kind, external_id)
        try:
            data = self._current(ref)
        except GuestMissing:
            return None
        return mapping.guest(data, ref.node, ref.type, self._region(ref.node))

    # -- acting --------------------------------------------------------------------
    def act(self, kind: str, external_id: str, action: str, **options: Any) -> Discovered | None:
        if action not in ACTIONS:
            raise InvalidRequest(f"unknown action {action}")
        ref = mapping.parse_external_id(kind, external_id)
        if action == "reset" and ref.type == "lxc":
            raise InvalidRequest("reset not supported for LXC containers (PVE has no container reset)")
        if action == "terminate":
            return self._terminate(ref)
        verb = "stop" if action == "stop" and options.get("force") else POWER_VERBS[action]
        params = {"timeout": int(options["timeout"])} if verb in ("shutdown", "reboot") and options.get("timeout") else {}
        if verb == "shutdown":
            params["forceStop"] = 1  # after the timeout, PVE stops the guest rather than fail the task
        upid = self._call(f"POST {ref.external_id} status/{verb}",
                          lambda: self.api.nodes(ref.node)(ref.type)(ref.vmid).status(verb).post(**params))
        self._wait(ref, upid, action)
        return self.get(kind, external_id)

    def _terminate(self, ref: GuestRef) -> None:
        try:
            current = self._current(ref)
        except GuestMissing:
            return  # already gone
        if current.get("status") != "stopped":  # PVE refuses to destroy a running guest
            upid = self._call(f"POST {ref.external_id} status/stop",
                              lambda: self.api.nodes(ref.node)(ref.type)(ref.vmid).status.stop.post())
            self._wait(ref, upid, "stop")
        # purge=1 also drops the vmid from backup jobs, replication and HA
        upid = self._call(f"DELETE {ref.external_id}",
                          lambda: self.api.nodes(ref.node)(ref.type)(ref.vmid).delete(purge=1))
        self._wait(ref, upid, "terminate")
        return

    def _wait(self, ref: GuestRef, upid: Any, action: str) -> None:
        """Wait for the PVE task ``upid`` to stop; its exitstatus must be OK (or WARNINGS: n)."""
        if not isinstance(upid, str) or not upid.startswith("UPID:"):
            return  # a synchronous call: nothing to wait for
        parts = upid.split(":")
        node = parts[1] if len(parts) > 1 and parts[1] else ref.node  # tasks run on the UPID's node
        deadline = time.monotonic() + self.conn.task_timeout
        delay = POLL_FIRST_S
        while True:
            status = self._call(f"GET task status {upid}",
                                lambda: self.api.nodes(node).tasks(upid).status.get())
            if not isinstance(status, dict):
                raise DriverError(f"unexpected task status for {upid}", upstream=repr(status)[:500])
            if status.get("status") == "stopped":
                exit_status = str(status.get("exitstatus") or "")
                if exit_status == "OK" or exit_status.startswith("WARNINGS"):
                    return
                raise DriverError(f"Proxmox task {action} of {ref.label} failed ({upid})",
                                  upstream=exit_status or "no exit status")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise DriverError(f"Proxmox task {action} of {ref.label} still running after "
                                  f"{self.conn.task_timeout:g}s ({upid})")
            time.sleep(min(delay, remaining))
            delay = min(delay * 2, POLL_MAX_S)
