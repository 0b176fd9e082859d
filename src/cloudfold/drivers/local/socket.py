"""Finding the container engine: config, then DOCKER_HOST, then the usual sockets."""

from __future__ import annotations

import os
from pathlib import Path


def candidate_sockets() -> list[str]:
    runtime_dir = os.environ.get("XDG_RUNTIME_DIR") or f"/run/user/{os.getuid()}"
    return [
        "/var/run/docker.sock",
        f"{runtime_dir}/podman/podman.sock",
        "/run/podman/podman.sock",
        f"{runtime_dir}/docker.sock",
    ]


def find_engine(configured: str | None = None) -> str | None:
    """The engine's base URL (``unix:///…`` or ``tcp://…``), or None when none is found."""
    if configured:
        return configured
    if os.environ.get("DOCKER_HOST"):
        return os.environ["DOCKER_HOST"]
    for path in candidate_sockets():
        if Path(path).is_socket():
            return f"unix://{path}"
    return None
