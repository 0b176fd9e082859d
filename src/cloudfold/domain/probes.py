"""Reachability probes for machines: a TCP "ping" (an answer of any kind, even a refused
connection, proves the host is up) and an SSH port check. No raw sockets or privileges."""

from __future__ import annotations

import errno
import socket
import time
from dataclasses import dataclass

PING_PORTS = (22, 80, 443)


@dataclass
class Reachability:
    ip: str | None
    pingable: bool
    sshable: bool
    latency_ms: int | None


def _connect(ip: str, port: int, timeout: float) -> tuple[bool, bool, float]:
    """(host answered, port open, seconds)."""
    start = time.perf_counter()
    try:
        with socket.create_connection((ip, port), timeout=timeout):
            return True, True, time.perf_counter() - start
    except ConnectionRefusedError:
        return True, False, time.perf_counter() - start
    except OSError as exc:
        return exc.errno == errno.ECONNREFUSED, False, time.perf_counter() - start


def probe(ip: str | None, timeout: float = 1.0) -> Reachability:
    if not ip:
        return Reachability(None, False, False, None)
    ssh_up, ssh_open, elapsed = _connect(ip, 22, timeout)
    answered, latency = ssh_up, elapsed
    for port in PING_PORTS[1:]:
        if answered:
            break
        answered, _, latency = _connect(ip, port, timeout)
    return Reachability(ip, answered, ssh_open, round(latency * 1000) if answered else None)
