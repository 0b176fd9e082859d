"""Podman's Docker-compatible API service on a private socket, with the two settings
../shared/ENVIRONMENT.md gives for these machines (runc, cgroupfs). The test suite's engine
(tests/engine.py) and the local-cloud benchmark (bench/bench_instances.py) both start it here."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

CONTAINERS_CONF = """[containers]
default_ulimits = []
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
"""


class PodmanMissing(RuntimeError):
    pass


def start(workdir: Path, timeout: float = 30.0) -> tuple[subprocess.Popen, str]:
    """Start `podman system service` on ``workdir/podman.sock`` in its own session; return the
    process and the engine URL once the socket exists."""
    podman = shutil.which("podman")
    if podman is None:
        raise PodmanMissing("podman is not installed: run scripts/install-test-deps")
    conf = workdir / "containers.conf"
    conf.write_text(CONTAINERS_CONF)
    sock = workdir / "podman.sock"
    proc = subprocess.Popen([podman, "system", "service", "--time=0", f"unix://{sock}"],
                            env={**os.environ, "CONTAINERS_CONF": str(conf)}, stdout=subprocess.DEVNULL,
                            stderr=open(workdir / "service.log", "w"), start_new_session=True)
    deadline = time.monotonic() + timeout
    while not sock.exists():
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            raise RuntimeError(f"podman service did not start: see {workdir / 'service.log'}")
        time.sleep(0.1)
    return proc, f"unix://{sock}"
