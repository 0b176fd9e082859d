"""Reachability probes for machines: a TCP "ping" (an answer of any kind, even a refused
connection, proves the host is up) and an SSH port check. No raw sockets or privileges.

The address comes from the inventory record, which a user may have written (hand-tracked
records): `probe_resource` puts it through the egress rule unless the record's owner or the
caller is trusted, and probes exactly the address the rule approved."""

from __future__ import annotations

import errno
import socket
import time
from dataclasses import dataclass

from sqlalchemy.orm import object_session

from cloudfold.db.models import Resource
from cloudfold.domain import egress
from cloudfold.domain.context import Principal
from cloudfold.errors import BadRequest
from cloudfold.settings import Settings

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


def address_of(meta: dict) -> str | None:
    """The address a record's metadata gives for its machine."""
    return meta.get("public_ip") or meta.get("private_ip") or meta.get("ip_address")


def _owner_trusted(resource: Resource) -> bool:
    """Synced records follow their account's owner, hand-tracked ones their creator."""
    owner_id = resource.account.owner_id if resource.account is not None else resource.owner_id
    return egress.owner_trusted(object_session(resource), owner_id)


def probe_resource(resource: Resource, viewer: Principal, settings: Settings, timeout: float = 1.0) -> Reachability:
    """Probe a running machine's address (BadRequest when the egress rule refuses it)."""
    ip = address_of(resource.meta or {}) if resource.status == "running" else None
    if ip is not None and not isinstance(ip, str):
        raise BadRequest("the machine's address is not a host name or address")
    if ip and not (viewer.is_admin or _owner_trusted(resource)):
        ip = egress.check_host(ip, trusted=False, settings=settings, what="the machine's address").addresses[0]
    return probe(ip, timeout)
