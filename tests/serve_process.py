"""`cloudfold serve` as a real process on a free port, for the tests that talk to it over a
socket (test_cli_serve.py, test_walkthrough.py)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

CLI = [sys.executable, "-m", "cloudfold"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_cli(env: dict[str, str], *args: str, ok: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run([*CLI, *args], env=env, capture_output=True, text=True, timeout=120)
    if ok:
        assert proc.returncode == 0, proc.stderr
    return proc


@contextmanager
def serving(env: dict[str, str], log_path=None) -> Iterator[str]:
    """Run `cloudfold serve` with ``env``; yield its base URL once /health/live answers."""
    port = free_port()
    out = open(log_path, "w") if log_path else subprocess.DEVNULL
    proc = subprocess.Popen([*CLI, "serve", "--port", str(port)], env=env, stdout=out, stderr=subprocess.STDOUT,
                            text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(base + "/health/live", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            pytest.fail("cloudfold serve did not come up")
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        if log_path:
            out.close()
