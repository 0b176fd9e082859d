"""A real moto server (the AWS APIs over HTTP) as a separate process, for the AWS driver's tests.

Import the fixtures into a test module: ``from moto_server import moto, moto_url``.
moto must be installed (``pip install "moto[server]"``): a missing moto fails, never skips.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def start_moto(log_path: Path, env: dict[str, str] | None = None, wait: float = 60.0) -> tuple[subprocess.Popen, str]:
    """Start ``python -m moto.server`` on a free port; return the process and its URL once it answers."""
    port = free_port()
    url = f"http://{HOST}:{port}"
    log = open(log_path, "wb")  # noqa: SIM115  (closed with the process)
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", HOST, "-p", str(port)],
        stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})},
    )
    proc._cloudfold_log = log  # type: ignore[attr-defined]
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log.close()
            pytest.fail(f"moto server exited with {proc.returncode}:\n{log_path.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(f"{url}/moto-api/", timeout=1):
                return proc, url
        except OSError:
            time.sleep(0.2)
    stop_moto(proc)
    pytest.fail(f"moto server did not answer within {wait} s:\n{log_path.read_text(errors='replace')}")


def stop_moto(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
    proc._cloudfold_log.close()  # type: ignore[attr-defined]


def reset_moto(url: str) -> None:
    request = urllib.request.Request(f"{url}/moto-api/reset", method="POST", data=b"")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


@pytest.fixture(scope="session")
def moto_url(tmp_path_factory) -> Iterator[str]:
    """The URL of a moto server shared by the session."""
    proc, url = start_moto(tmp_path_factory.mktemp("moto") / "moto.log")
    try:
        yield url
    finally:
        stop_moto(proc)


@pytest.fixture
def moto(moto_url) -> str:
    """The shared moto server, emptied for this test."""
    reset_moto(moto_url)
    return moto_url
