"""Real probe targets on 127.0.0.1 that the monitor tests (and the benchmark) start: HTTP,
HTTPS with certificates made here (valid, expiring, expired, wrong name — trustme), a closed
port, a server that hangs, one that answers garbage, an SSH banner, and Debian's dnsmasq
answering on a loopback port."""

from __future__ import annotations

import datetime as dt
import http.server
import shutil
import socket
import socketserver
import ssl
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import trustme

LOOPBACK = "127.0.0.1"


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self, head: bool = False):  # noqa: N802 (the stdlib's name)
        status = 500 if self.path.startswith("/500") else 200
        body = b"hello from cloudfold's test target\n"
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def do_HEAD(self):  # noqa: N802
        self.do_GET(head=True)

    def log_message(self, *args):  # quiet
        pass


class _HTTPServer(http.server.ThreadingHTTPServer):
    daemon_threads = True


def _serve(server) -> threading.Thread:
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    return t


class _RawHandler(socketserver.BaseRequestHandler):
    answer: bytes | None = None  # None: hang (read and never answer)

    def handle(self):
        if self.answer is None:
            try:
                self.request.settimeout(60)
                while self.request.recv(4096):
                    pass
            except OSError:
                pass
            return
        self.request.sendall(self.answer)


def _raw(answer: bytes | None) -> socketserver.ThreadingTCPServer:
    handler = type("H", (_RawHandler,), {"answer": answer})
    server = socketserver.ThreadingTCPServer((LOOPBACK, 0), handler)
    server.daemon_threads = True
    return server


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


@dataclass
class Targets:
    ca_file: Path
    http: str = ""
    https: dict[str, str] = field(default_factory=dict)  # valid, expiring, expired, wrong_name -> URL
    closed: str = ""  # host:port nothing listens on
    hanging: str = ""
    garbage: str = ""
    ssh: str = ""
    dns: str = ""  # host:port of dnsmasq
    servers: list = field(default_factory=list)
    dnsmasq: subprocess.Popen | None = None

    def close(self) -> None:
        for s in self.servers:
            s.shutdown()
            s.server_close()
        if self.dnsmasq is not None:
            self.dnsmasq.terminate()
            self.dnsmasq.wait(5)


DNS_RECORDS = {"web.cloudfold.test": "127.0.0.10", "txt.cloudfold.test": "cloudfold-verify=ok"}


def _dnsmasq(port: int) -> subprocess.Popen:
    binary = shutil.which("dnsmasq") or "/usr/sbin/dnsmasq"
    args = [binary, "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv", "--no-hosts", "--no-poll",
            f"--port={port}", f"--listen-address={LOOPBACK}", "--bind-interfaces", "--pid-file=", "--user=root",
            f"--address=/web.cloudfold.test/{DNS_RECORDS['web.cloudfold.test']}",
            f"--txt-record=txt.cloudfold.test,{DNS_RECORDS['txt.cloudfold.test']}"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"dnsmasq did not start: {proc.stderr.read().decode()[:300]}")
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            try:
                s.connect((LOOPBACK, port))
                # a minimal query for web.cloudfold.test A: any answer means it is up
                import dns.message

                s.settimeout(0.2)
                s.send(dns.message.make_query("web.cloudfold.test", "A").to_wire())
                s.recv(512)
                return proc
            except OSError:
                time.sleep(0.05)
    proc.kill()
    raise RuntimeError("dnsmasq did not answer")


def start(tmp: Path) -> Targets:
    ca = trustme.CA()
    ca_file = tmp / "monitor-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    t = Targets(ca_file=ca_file)
    plain = _HTTPServer((LOOPBACK, 0), _Handler)
    t.servers.append(plain)
    t.http = f"http://{LOOPBACK}:{plain.server_address[1]}/"
    now = dt.datetime.now(dt.timezone.utc)
    certs = {
        "valid": ca.issue_cert(LOOPBACK),
        "expiring": ca.issue_cert(LOOPBACK, not_after=now + dt.timedelta(days=5)),
        "expired": ca.issue_cert(LOOPBACK, not_before=now - dt.timedelta(days=30),
                                 not_after=now - dt.timedelta(days=1)),
        "wrong_name": ca.issue_cert("other.cloudfold.test"),
    }
    for name, cert in certs.items():
        server = _HTTPServer((LOOPBACK, 0), _Handler)
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(ctx)
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
        t.servers.append(server)
        t.https[name] = f"https://{LOOPBACK}:{server.server_address[1]}/"
    for attr, answer in (("hanging", None), ("garbage", b"\x00\xff\xfenot http at all\r\n\r\n"),
                         ("ssh", b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n")):
        server = _raw(answer)
        t.servers.append(server)
        setattr(t, attr, f"{LOOPBACK}:{server.server_address[1]}")
    for server in t.servers:
        _serve(server)
    t.closed = f"{LOOPBACK}:{free_port()}"
    port = free_port()
    t.dnsmasq = _dnsmasq(port)
    t.dns = f"{LOOPBACK}:{port}"
    return t
