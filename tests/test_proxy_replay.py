"""A backend on the real HAProxy whose server dies mid-request (reads the request, closes the
connection without a byte of answer, as a killed container does): a GET or HEAD is tried again
on the other server, so the client never sees it; a POST is not replayed (it may have done its
work), so the client gets the 502."""

from __future__ import annotations

import re
import socket
import struct
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from lb_support import free_block

from cloudfold.proxy import Haproxy, Route, Server, render


class Good(BaseHTTPRequestHandler):
    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self.send_response(200)
        self.send_header("Content-Length", "4")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(b"good")

    do_GET = do_HEAD = do_POST = _answer

    def log_message(self, *args):
        pass


def dying_server() -> tuple[socket.socket, int]:
    """Accepts, reads the whole request, and resets the connection: no status line, no bytes."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)

    def serve():
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                data = b""
                while b"\r\n\r\n" not in data and (chunk := conn.recv(4096)):
                    data += chunk
                head, _, body = data.partition(b"\r\n\r\n")
                length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1)) if b"ength:" in head else 0
                while len(body) < length and (chunk := conn.recv(4096)):
                    body += chunk
                time.sleep(0.05)  # the whole request arrived; the proxy waits for an answer
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # then RST

    threading.Thread(target=serve, daemon=True).start()
    return listener, listener.getsockname()[1]


@pytest.fixture
def balancer(tmp_path):
    good = ThreadingHTTPServer(("127.0.0.1", 0), Good)
    threading.Thread(target=good.serve_forever, daemon=True).start()
    dying, dying_port = dying_server()
    proxy, port = Haproxy(tmp_path, "/usr/sbin/haproxy"), free_block()
    servers = (Server("dying", "127.0.0.1", dying_port), Server("good", "127.0.0.1", good.server_address[1]))
    # a gateway route's backend: round robin over both, no health checks that would take the
    # dying one out of rotation (a balancer's checks would, at their first round)
    proxy.apply(render([], [Route("r1", "/", False, servers)], bind="127.0.0.1", gateway_port=port,
                       paths=proxy.paths), start=True)
    yield f"http://127.0.0.1:{port}/"
    proxy.stop()
    good.shutdown()
    dying.close()


def status(url: str, method: str) -> int:
    request = urllib.request.Request(url, method=method, data=b"x=1" if method == "POST" else None)
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            r.read()
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_a_get_is_tried_again_on_another_server_a_post_is_not_replayed(balancer):
    assert Counter(status(balancer, "GET") for _ in range(20)) == {200: 20}
    assert Counter(status(balancer, "HEAD") for _ in range(6)) == {200: 6}
    posts = Counter(status(balancer, "POST") for _ in range(10))
    assert posts[502] >= 3 and posts[200] >= 3 and set(posts) == {200, 502}, posts
