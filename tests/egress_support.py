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
