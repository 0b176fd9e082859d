"""Small local HTTP servers for the egress tests: one that counts the requests it gets, and one
that answers garbage (over HTTP or HTTPS) with a marker that must never reach a client."""

from __future__ import annotations

import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from pve_standin import PveStandin

MARKER = "GARBAGE-7f3c1e-SECRET-BANNER"


class LocalServer(PveStandin):
    """A server on `address` (a free port), counting requests; `status` and `body` answer each,
    and the reason phrase carries the marker too. A context manager, started and stopped as
    the Proxmox stand-in is."""

    def __init__(self, address: str = "127.0.0.1", status: int = 200, body: bytes = MARKER.encode(),
                 tls: tuple[Path, Path] | None = None) -> None:
        server = self
        self.requests: list[str] = []

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                server.requests.append(f"{self.command} {self.path}")
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                self.send_response(status, f"{MARKER} reason")
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = _answer

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer((address, 0), Handler)
        self.httpd.daemon_threads = True
        if tls is not None:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(str(tls[0]), str(tls[1]))
            self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        self.address = address
        self.port = self.httpd.server_address[1]
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def url(self, host: str | None = None, scheme: str = "http") -> str:
        return f"{scheme}://{host or self.address}:{self.port}"


class BannerServer:
    """A TCP service that is not HTTP: it greets every connection with a banner carrying the
    marker (as SSH or SMTP would) and hangs up; with `tls`, inside TLS. A context manager."""

    def __init__(self, tls: tuple[Path, Path] | None = None) -> None:
        import socket

        self.tls = None
        if tls is not None:
            self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.tls.load_cert_chain(str(tls[0]), str(tls[1]))
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            try:
                conn.settimeout(5)
                if self.tls is not None:
                    conn = self.tls.wrap_socket(conn, server_side=True)
                conn.sendall(f"SSH-2.0-{MARKER}\r\n".encode())
            except OSError:
                pass
            finally:
                conn.close()

    def __enter__(self) -> BannerServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()
