"""Pinned name resolution: outbound connections made inside a `guarded` block resolve every
host name through a guard, which returns the addresses it approved (or refuses). The client
then connects to exactly those addresses, so a name cannot be re-pointed between the check
and the connection (DNS rebinding).

It works by wrapping `socket.getaddrinfo` once, process-wide; outside a guarded block the
wrapper passes straight through. The guard lives in a context variable, so it applies to the
thread (or task) that entered the block and to threads started with a copied context
(`asyncio.to_thread`, Starlette's `run_in_threadpool`), not to other threads. Every client the
drivers use resolves through `socket.getaddrinfo` at connect time: urllib3 (botocore, requests,
proxmoxer, docker) calls it in `urllib3.util.connection.create_connection`, httpx's sync
transport through `socket.create_connection`. Asyncio's own resolver (`loop.getaddrinfo`)
runs in an executor without the context: run asyncio clients in `asyncio.to_thread`, or resolve
with the guard first and connect to the address.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

# host name (normalised) -> approved addresses; raises OSError to refuse
Guard = Callable[[str], list[str]]

system_getaddrinfo = socket.getaddrinfo  # the real resolver, for the guards themselves
_guard: ContextVar[Guard | None] = ContextVar("cloudfold_egress_guard", default=None)
_install_lock = threading.Lock()
_installed = False


def normalise(host: str | bytes) -> str:
    """Lower case, no trailing dot, IDNA (punycode) form; brackets of an IPv6 literal removed."""
    text = host.decode("ascii", "replace") if isinstance(host, bytes) else str(host)
    text = text.strip().strip("[]").rstrip(".").lower()
    try:
        return text.encode("idna").decode("ascii") if text else text
    except UnicodeError:
        return text


def _pinned_getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):  # noqa: A002 (socket's names)
    guard = _guard.get()
    if guard is None or host is None:
        return system_getaddrinfo(host, port, family, type, proto, flags)
    addresses = guard(normalise(host))
    results = []
    for address in addresses:
        try:
            results.extend(system_getaddrinfo(address, port, family, type, proto, flags | socket.AI_NUMERICHOST))
        except socket.gaierror:
            continue  # e.g. an IPv6 address when only AF_INET was asked for
    if not results:
        raise socket.gaierror(socket.EAI_NONAME, "no approved address for this host")
    return results


def install() -> None:
    """Wrap socket.getaddrinfo (once per process; idempotent)."""
    global _installed
    with _install_lock:
        if not _installed:
            socket.getaddrinfo = _pinned_getaddrinfo
            _installed = True


@contextmanager
def guarded(guard: Guard) -> Iterator[None]:
    """Resolve every host name through `guard` for the duration of the block."""
    install()
    token = _guard.set(guard)
    try:
        yield
    finally:
        _guard.reset(token)


def pinned(pins: dict[str, list[str]]) -> Guard:
    """A guard that answers only for the given names (normalised) and refuses any other."""
    table = {normalise(h): list(a) for h, a in pins.items()}

    def guard(host: str) -> list[str]:
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "host not approved for this connection")
        return table[host]

    return guard
