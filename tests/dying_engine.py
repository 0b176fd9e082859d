"""A container engine that dies at a chosen moment: a unix socket passing bytes to and from
the real engine's socket until a request matches `die_on`; from then on, until `revive()`,
every connection is closed at once, as if the engine had stopped. A test points an account's
docker_host at `url` to see what cloudfold does when the engine goes away mid-operation."""

from __future__ import annotations

import re
import socket
import threading
from pathlib import Path


class DyingEngine:
    def __init__(self, engine_url: str, workdir: Path, die_on: bytes) -> None:
        self._target = engine_url.removeprefix("unix://")
        self._path = str(workdir / "dying.sock")
        self._die_on = re.compile(die_on)
        self.dead = threading.Event()
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._listener.bind(self._path)
        self._listener.listen(64)
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"unix://{self._path}"

    def revive(self) -> None:
        self.dead.clear()

    def close(self) -> None:
        self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self.dead.is_set():
                client.close()
                continue
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            upstream.connect(self._target)
            threading.Thread(target=self._requests, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._answers, args=(upstream, client), daemon=True).start()

    def _requests(self, client: socket.socket, upstream: socket.socket) -> None:
        try:
            while chunk := client.recv(65536):
                if self.dead.is_set() or self._die_on.search(chunk):
                    self.dead.set()
                    break
                upstream.sendall(chunk)
        except OSError:
            pass
        for s in (client, upstream):
            s.close()

    @staticmethod
    def _answers(upstream: socket.socket, client: socket.socket) -> None:
        try:
            while chunk := upstream.recv(65536):
                client.sendall(chunk)
        except OSError:
            pass
