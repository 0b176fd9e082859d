"""A STAND-IN for the Proxmox VE HTTP API, for tests. It is NOT a live Proxmox.

It serves, over HTTPS, the small subset of the PVE API (``/api2/json``) that cloudfold's
Proxmox driver uses, shaped after the documented API (https://pve.proxmox.com/pve-docs/api-viewer/)
and after how pve-http-server answers:

- every answer is a ``{"data": ...}`` envelope; errors carry PVE's message in the HTTP reason
  phrase (``500 Configuration file 'nodes/pve/qemu-server/100.conf' does not exist``) and a
  ``{"data": null, "message": ...}`` body; authentication failures are a bare 401 whose reason
  is the message (``No ticket``, ``invalid token value!``), as pve-http-server sends them;
- authentication: ``Authorization: PVEAPIToken=USER@REALM!TOKENID=SECRET``, or a ticket from
  ``POST /access/ticket`` sent as the ``PVEAuthCookie`` cookie plus, on writes, the
  ``CSRFPreventionToken`` header;
- power actions and DELETE answer a UPID and run as tasks; ``GET /nodes/{node}/tasks/{upid}/status``
  reports ``running`` for ``task_polls`` polls, then ``stopped`` with an ``exitstatus``. A task's
  effect is applied when it stops (on the poll that reports it stopped).

What it does NOT model: permissions beyond a read-only token (``privs="audit"``), HA, migration,
locks, storage, guest agents, the 3 s delay PVE adds to failed logins (``auth_delay`` can), and a
ticket's expiry, and rrddata beyond answering the points a test gives a guest (``Guest.rrd``).
State lives in memory and is mutated by the actions.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import re
import secrets
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

BASE = "/api2/json"
VERSION = {"version": "8.1.3", "release": "8.1", "repoid": "b46aac3b42da5d15"}


# -- TLS material for 127.0.0.1 ------------------------------------------------------------
def make_tls_files(directory: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and a server certificate for 127.0.0.1/localhost signed by it.
    Returns (ca_pem, cert_pem, key_pem)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = dt.datetime.now(dt.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cloudfold test PVE CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name).issuer_name(ca_name)
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                     content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pve.test")]))
        .issuer_name(ca_name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                    x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    ca_pem, cert_pem, key_pem = directory / "ca.pem", directory / "pve.pem", directory / "pve-key.pem"
    ca_pem.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_pem.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    return ca_pem, cert_pem, key_pem


# -- state ---------------------------------------------------------------------------------
@dataclass
class Guest:
    vmid: int
    type: str  # qemu | lxc
    node: str
    name: str
    status: str = "stopped"  # running | stopped
    paused: bool = False  # qemu only: status running, qmpstatus paused
    maxmem: int = 2 * 1024**3
    maxdisk: int = 32 * 1024**3
    cpus: int = 2
    tags: str | None = None  # PVE keeps tags as one ';'-separated string
    template: bool = False
    protection: bool = False
    started: float = 0.0
    rrd: list[dict[str, Any]] = field(default_factory=list)  # what GET …/rrddata answers (tests set it)

    def record(self, *, full: bool, legacy_lxc_vmid: bool = False, current: bool = False) -> dict[str, Any]:
        running = self.status == "running"
        r: dict[str, Any] = {
            "vmid": str(self.vmid) if (legacy_lxc_vmid and self.type == "lxc") else self.vmid,
            "name": self.name, "status": self.status,
            "maxmem": self.maxmem, "maxdisk": self.maxdisk, "cpus": self.cpus,
            "mem": self.maxmem // 4 if running else 0, "disk": 0,
            "cpu": 0.0123 if running else 0, "uptime": int(time.time() - self.started) if running else 0,
            "netin": 1024 if running else 0, "netout": 2048 if running else 0,
            "diskread": 0, "diskwrite": 0,
        }
        if running:
            r["pid"] = 4000 + self.vmid
        if self.type == "lxc":
            r["type"] = "lxc"
            r["maxswap"] = 512 * 1024**2
            r["swap"] = 0
        if self.tags is not None:
            r["tags"] = self.tags
        if self.template:
            r["template"] = 1
        if current:
            r["ha"] = {"managed": 0}
        if self.type == "qemu" and running and (full or current):
            r["qmpstatus"] = "paused" if self.paused else "running"
            if current:
                r["running-qemu"], r["running-machine"] = "8.1.2", "pc-i440fx-8.1+pve0"
        return r

    def conf_path(self) -> str:
        return f"nodes/{self.node}/{'qemu-server' if self.type == 'qemu' else 'lxc'}/{self.vmid}.conf"


@dataclass
class Task:
    upid: str
    node: str
    type: str  # qmstart, vzstop, qmdestroy, ...
    id: str
    user: str
    tokenid: str | None
    pid: int
    pstart: int
    starttime: int
    polls_left: int
    effect: Any  # callable applied when the task stops successfully
    exitstatus: str = "OK"
    done: bool = False


@dataclass
class Node:
    name: str
    status: str = "online"  # online | offline (as /nodes reports it)
    reachable: bool = True  # False: listed online but proxying to it fails (595)
    maxcpu: int = 8
    maxmem: int = 64 * 1024**3


@dataclass
class Token:
    secret: str
    privs: str = "all"  # "all" or "audit" (read-only)


class ApiError(Exception):
    def __init__(self, code: int, message: str, *, bare: bool = False, errors: dict | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.bare, self.errors = code, message, bare, errors


@dataclass
class PveState:
    nodes: dict[str, Node] = field(default_factory=dict)
    guests: dict[int, Guest] = field(default_factory=dict)  # vmids are unique cluster-wide
    tokens: dict[str, Token] = field(default_factory=dict)  # "user@realm!tokenid" -> Token
    passwords: dict[str, str] = field(default_factory=dict)
    tasks: dict[str, Task] = field(default_factory=dict)
    tickets: dict[str, tuple[str, str]] = field(default_factory=dict)  # ticket -> (user, csrf)
    task_polls: int = 1  # polls answering "running" before a task stops
    fail_tasks: dict[str, str] = field(default_factory=dict)  # task type -> exitstatus (one-shot)
    legacy_lxc_vmid: bool = False  # PVE 7 listed LXC vmids as strings
    auth_delay: float = 0.0
    log: list[tuple[str, str]] = field(default_factory=list)  # (method, path) of authenticated calls
    answers: dict[str, tuple[int, str]] = field(default_factory=dict)  # path -> (status, reason) answered instead
    lock: threading.Lock = field(default_factory=threading.Lock)
    _pid: int = 0x1000

    # -- setup helpers
    def add_node(self, name: str, **kw: Any) -> Node:
        self.nodes[name] = Node(name, **kw)
        return self.nodes[name]

    def add_guest(self, vmid: int, type_: str, node: str, name: str, status: str = "stopped", **kw: Any) -> Guest:
        g = Guest(vmid, type_, node, name, status, **kw)
        if status == "running":
            g.started = time.time() - 3600
        self.guests[vmid] = g
        return g

    def paths(self, method: str | None = None) -> list[str]:
        return [p for m, p in self.log if method is None or m == method]

    # -- auth
    def authenticate(self, method: str, headers: Any) -> tuple[str, str | None, str]:
        """(user, tokenid, privs) or ApiError(401) as pve-http-server answers."""
        cookie = headers.get("Cookie") or ""
        auth = headers.get("Authorization") or ""
        m = re.search(r"(?:^|;\s*)PVEAuthCookie=([^;]+)", cookie) or re.match(r"^PVEAuthCookie=(\S+)$", auth)
        if m:
            ticket = unquote(m.group(1))
            if ticket not in self.tickets:
                raise ApiError(401, "invalid PVE ticket", bare=True)
            user, csrf = self.tickets[ticket]
            if method != "GET" and headers.get("CSRFPreventionToken") != csrf:
                raise ApiError(401, "Permission denied - invalid csrf token", bare=True)
            return user, None, "all"
        m = re.match(r"^PVEAPIToken=(\S+?)!(\S+?)[=\s](\S+)$", auth)
        if m:
            user, name, secret = m.groups()
            token = self.tokens.get(f"{user}!{name}")
            if token is None:
                raise ApiError(401, f"no such token '{name}' for user '{user}'", bare=True)
            if not secrets.compare_digest(token.secret, secret):
                raise ApiError(401, "invalid token value!", bare=True)
            return user, f"{user}!{name}", token.privs
        raise ApiError(401, "No ticket", bare=True)

    def login(self, form: dict[str, str]) -> dict[str, Any]:
        user, password = form.get("username", ""), form.get("password", "")
        if "@" not in user:
            user = f"{user}@pam"
        if self.passwords.get(user) is None or not secrets.compare_digest(self.passwords[user], password):
            raise ApiError(401, "authentication failure")
        stamp = f"{int(time.time()):08X}"
        ticket = f"PVE:{user}:{stamp}::{secrets.token_urlsafe(48)}"
        csrf = f"{stamp}:{secrets.token_urlsafe(32)}"
        self.tickets[ticket] = (user, csrf)
        return {"username": user, "ticket": ticket, "CSRFPreventionToken": csrf, "clustername": "standin",
                "cap": {"vms": {"VM.PowerMgmt": 1, "VM.Audit": 1, "VM.Allocate": 1}}}

    # -- lookups
    def node(self, name: str) -> Node:
        node = self.nodes.get(name)
        if node is None:
            raise ApiError(500, f"hostname lookup '{name}' failed - failed to get address info for: "
                                f"{name}: Name or service not known")
        if node.status != "online" or not node.reachable:
            raise ApiError(595, "No route to host")
        return node

    def guest(self, node: str, type_: str, vmid: int) -> Guest:
        self.node(node)
        g = self.guests.get(vmid)
        if g is None or g.node != node or g.type != type_:
            conf = f"nodes/{node}/{'qemu-server' if type_ == 'qemu' else 'lxc'}/{vmid}.conf"
            raise ApiError(500, f"Configuration file '{conf}' does not exist")
        return g

    # -- tasks
    def new_task(self, node: str, dtype: str, gid: str, user: str, tokenid: str | None, effect: Any) -> str:
        self._pid += 1
        now = int(time.time())
        pstart = now % 0xFFFFFF
        who = tokenid or user
        upid = f"UPID:{node}:{self._pid:08X}:{pstart:08X}:{now:08X}:{dtype}:{gid}:{who}:"
        task = Task(upid, node, dtype, gid, user, tokenid, self._pid, pstart, now, self.task_polls, effect)
        if dtype in self.fail_tasks:
            task.exitstatus = self.fail_tasks.pop(dtype)
        self.tasks[upid] = task
        if task.polls_left <= 0:
            self._finish(task)
        return upid

    def _finish(self, task: Task) -> None:
        if not task.done:
            task.done = True
            if task.exitstatus == "OK" or task.exitstatus.startswith("WARNINGS"):
                task.effect()

    def task_status(self, node: str, upid: str) -> dict[str, Any]:
        self.node(node)
        task = self.tasks.get(upid)
        if task is None or task.node != node:
            raise ApiError(500, f"unable to parse worker upid '{upid}'" if not upid.startswith("UPID:")
                           else f"no such task '{upid}'")
        if not task.done:
            if task.polls_left > 0:
                task.polls_left -= 1
            else:
                self._finish(task)
        out: dict[str, Any] = {"upid": task.upid, "node": task.node, "pid": task.pid, "pstart": task.pstart,
                               "starttime": task.starttime, "type": task.type, "id": task.id, "user": task.user,
                               "status": "stopped" if task.done else "running"}
        if task.tokenid:
            out["tokenid"] = task.tokenid.split("!", 1)[1]
        if task.done:
            out["exitstatus"] = task.exitstatus
        return out

    # -- actions
    def power(self, g: Guest, verb: str, user: str, tokenid: str | None) -> str:
        who = "VM" if g.type == "qemu" else "CT"
        prefix = "qm" if g.type == "qemu" else "vz"
        running = g.status == "running"
        if verb == "start":
            if running:
                raise ApiError(500, f"{who} {g.vmid} already running")
            if g.template:
                raise ApiError(500, "you can't start a vm if it's a template")

            def effect() -> None:
                g.status, g.paused, g.started = "running", False, time.time()
        elif verb in ("stop", "reboot", "reset", "shutdown"):
            if not running:
                raise ApiError(500, f"{who} {g.vmid} not running")
            if verb in ("stop", "shutdown"):
                def effect() -> None:
                    g.status, g.paused, g.started = "stopped", False, 0.0
            else:
                def effect() -> None:
                    g.status, g.paused, g.started = "running", False, time.time()
        else:
            raise ApiError(501, f"Method 'POST /nodes/{g.node}/{g.type}/{g.vmid}/status/{verb}' not implemented")
        return self.new_task(g.node, f"{prefix}{verb}", str(g.vmid), user, tokenid, effect)

    def destroy(self, g: Guest, user: str, tokenid: str | None) -> str:
        who = "VM" if g.type == "qemu" else "CT"
        if g.protection:
            raise ApiError(500, f"can't remove {who} {g.vmid} - protection mode enabled")
        if g.status == "running":
            raise ApiError(500, f"VM {g.vmid} is running - destroy failed" if g.type == "qemu"
                           else f"unable to destroy CT {g.vmid} - container is running")

        def effect() -> None:
            self.guests.pop(g.vmid, None)
        return self.new_task(g.node, "qmdestroy" if g.type == "qemu" else "vzdestroy", str(g.vmid),
                             user, tokenid, effect)

    # -- routing
    def handle(self, method: str, path: str, query: dict[str, str], form: dict[str, str], headers: Any) -> Any:
        if not path.startswith(BASE + "/") and path != BASE:
            raise ApiError(501, "no such uri", bare=True)
        rel = path[len(BASE):] or "/"
        if method == "POST" and rel == "/access/ticket":
            return self.login(form)
        user, tokenid, privs = self.authenticate(method, headers)
        self.log.append((method, rel))
        if rel in self.answers:
            raise ApiError(*self.answers[rel])
        if method != "GET" and privs != "all":
            m = re.match(r"^/nodes/[^/]+/\w+/(\d+)", rel)
            what = f"/vms/{m.group(1)}" if m else rel
            raise ApiError(403, f"Permission check failed ({what}, "
                                f"{'VM.Allocate' if method == 'DELETE' else 'VM.PowerMgmt'})")
        if method == "GET" and rel == "/version":
            return dict(VERSION)
        if method == "GET" and rel == "/nodes":
            return [self._node_record(n) for n in self.nodes.values()]
        if method == "GET" and rel == "/cluster/resources":
            return self._cluster_resources(query.get("type"))
        m = re.match(r"^/nodes/([^/]+)/(qemu|lxc)$", rel)
        if method == "GET" and m:
            node, type_ = m.groups()
            self.node(node)
            full = query.get("full") in ("1", "true")
            return [g.record(full=full, legacy_lxc_vmid=self.legacy_lxc_vmid)
                    for g in sorted(self.guests.values(), key=lambda g: g.vmid)
                    if g.node == node and g.type == type_]
        m = re.match(r"^/nodes/([^/]+)/(qemu|lxc)/(\d+)/status/current$", rel)
        if method == "GET" and m:
            g = self.guest(m.group(1), m.group(2), int(m.group(3)))
            return g.record(full=True, current=True)
        m = re.match(r"^/nodes/([^/]+)/(qemu|lxc)/(\d+)/rrddata$", rel)
        if method == "GET" and m:  # PVE needs timeframe (hour|day|week|month|year); cf AVERAGE|MAX
            if query.get("timeframe") not in ("hour", "day", "week", "month", "year"):
                raise ApiError(400, "Parameter verification failed.")
            return list(self.guest(m.group(1), m.group(2), int(m.group(3))).rrd)
        m = re.match(r"^/nodes/([^/]+)/(qemu|lxc)/(\d+)/status/(\w+)$", rel)
        if method == "POST" and m:
            node, type_, vmid, verb = m.groups()
            if type_ == "lxc" and verb == "reset":
                raise ApiError(501, f"Method 'POST {rel}' not implemented")
            return self.power(self.guest(node, type_, int(vmid)), verb, user, tokenid)
        m = re.match(r"^/nodes/([^/]+)/(qemu|lxc)/(\d+)$", rel)
        if method == "DELETE" and m:
            return self.destroy(self.guest(m.group(1), m.group(2), int(m.group(3))), user, tokenid)
        m = re.match(r"^/nodes/([^/]+)/tasks/([^/]+)/status$", rel)
        if method == "GET" and m:
            return self.task_status(m.group(1), unquote(m.group(2)))
        raise ApiError(501, f"Method '{method} {rel}' not implemented")

    def _node_record(self, n: Node) -> dict[str, Any]:
        r: dict[str, Any] = {"node": n.name, "status": n.status, "id": f"node/{n.name}", "type": "node",
                             "level": "", "ssl_fingerprint": "AA:BB:CC"}
        if n.status == "online":
            r.update({"cpu": 0.05, "maxcpu": n.maxcpu, "mem": n.maxmem // 3, "maxmem": n.maxmem,
                      "disk": 10 * 1024**3, "maxdisk": 100 * 1024**3, "uptime": 86400})
        return r

    def _cluster_resources(self, type_filter: str | None) -> list[dict[str, Any]]:
        out = []
        if type_filter in (None, "vm"):
            for g in sorted(self.guests.values(), key=lambda g: g.vmid):
                online = self.nodes.get(g.node) is not None and self.nodes[g.node].status == "online"
                r = g.record(full=False) if online else {
                    "vmid": g.vmid, "name": g.name, "status": "unknown", "maxmem": g.maxmem,
                    "maxdisk": g.maxdisk, "template": int(g.template)}
                r.pop("cpus", None)
                r.update({"id": f"{g.type}/{g.vmid}", "type": g.type, "node": g.node, "maxcpu": g.cpus})
                if g.tags is not None:
                    r["tags"] = g.tags
                out.append(r)
        if type_filter in (None, "node"):
            out.extend(self._node_record(n) for n in self.nodes.values())
        return out


# -- HTTP ----------------------------------------------------------------------------------
def _handler(state: PveState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True
        server_version = "pve-api-daemon/3.0"
        sys_version = ""

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def _serve(self) -> None:
            url = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(url.query).items()}
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            form: dict[str, str] = {}
            if body:
                ctype = self.headers.get("Content-Type") or ""
                if "json" in ctype:
                    form = {k: str(v) for k, v in json.loads(body).items()}
                else:
                    form = {k: v[-1] for k, v in parse_qs(body.decode()).items()}
            try:
                with state.lock:
                    data = state.handle(self.command, unquote(url.path), query, form, self.headers)
            except ApiError as err:
                if err.code == 401 and state.auth_delay:
                    time.sleep(state.auth_delay)
                payload = b"" if err.bare else json.dumps(
                    {"data": None, "message": err.message + "\n", **({"errors": err.errors} if err.errors else {})}
                ).encode()
                self._send(err.code, err.message.splitlines()[0], payload, close=True)
                return
            self._send(200, "OK", json.dumps({"data": data}).encode())

        def _send(self, code: int, reason: str, payload: bytes, close: bool = False) -> None:
            self.send_response(code, reason)
            self.send_header("Content-Type", "application/json;charset=UTF-8")
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Cache-Control", "max-age=0")
            self.send_header("Connection", "close" if close else "Keep-Alive")
            self.end_headers()
            self.wfile.write(payload)
            if close:
                self.close_connection = True

        do_GET = do_POST = do_PUT = do_DELETE = _serve

    return Handler


class PveStandin:
    """An HTTPS server on 127.0.0.1 (a free port) serving ``state``; a context manager."""

    def __init__(self, state: PveState, cert: Path, key: Path) -> None:
        self.state = state
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
        self.httpd.daemon_threads = True
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(str(cert), str(key))
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.host = f"127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True, name="pve-standin")

    def __enter__(self) -> PveStandin:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=5)


def demo_state() -> PveState:
    """Two nodes, a token, a password user, and a few guests of both types."""
    s = PveState()
    s.add_node("pve1")
    s.add_node("pve2")
    s.tokens["root@pam!cloudfold"] = Token("0b6a4a56-5b8d-4a3e-9f7e-1d2c3b4a5f60")
    s.tokens["audit@pve!ro"] = Token("ro-secret", privs="audit")
    s.passwords["root@pam"] = "correct-horse"
    s.add_guest(100, "qemu", "pve1", "web1", "running", tags="prod;web", cpus=4)
    s.add_guest(101, "qemu", "pve1", "db1", "stopped", tags="prod")
    s.add_guest(102, "qemu", "pve1", "paused1", "running", paused=True)
    s.add_guest(9000, "qemu", "pve1", "tmpl-debian", "stopped", template=True)
    s.add_guest(200, "lxc", "pve1", "ct-dns", "running", tags="infra", cpus=1, maxmem=512 * 1024**2)
    s.add_guest(300, "qemu", "pve2", "app2", "running")
    s.add_guest(301, "lxc", "pve2", "ct-proxy", "stopped")
    s.add_guest(302, "lxc", "pve2", "ct-locked", "running", protection=True)
    return s
