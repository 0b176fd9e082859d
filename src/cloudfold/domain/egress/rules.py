"""Parsing destinations, resolving them, and refusing the addresses the egress rule forbids."""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Iterable
from contextlib import nullcontext
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from cloudfold.errors import BadRequest
from cloudfold.net import pinning
from cloudfold.settings import Settings

IP = ipaddress.IPv4Address | ipaddress.IPv6Address

METADATA = (ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254"))
CGNAT = ipaddress.ip_network("100.64.0.0/10")
NAT64 = ipaddress.ip_network("64:ff9b::/96")
HOST_NAME = re.compile(r"^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$")
NUMERIC_V4 = re.compile(r"^(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+)){0,3}$")
HINT = "an admin can allow it with the egress_allow setting (CLOUDFOLD_EGRESS_ALLOW)"


@dataclass(frozen=True)
class Approved:
    """A destination the rule let through, with the only addresses a connection may use."""

    host: str  # normalised name or address literal
    port: int | None
    addresses: tuple[str, ...]


def _refuse(what: str, reason: str) -> BadRequest:
    return BadRequest(f"{what}: connections to {reason} are refused by the egress rule; {HINT}")


def literal(host: str) -> IP | None:
    """The address a host string denotes by itself, in any spelling the C resolver accepts
    (dotted, decimal `2130706433`, octal `0177.1`, hex `0x7f.1`, IPv4-mapped IPv6)."""
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        pass
    if NUMERIC_V4.match(host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def _embedded(ip: IP) -> IP:
    """The IPv4 address hidden in an IPv4-mapped, 6to4 or NAT64 IPv6 address."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip.sixtofour is not None:
            return ip.sixtofour
        if ip in NAT64:
            return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip


@lru_cache(maxsize=1)
def _own_addresses() -> frozenset[IP]:
    """This server's interface addresses (read once per process)."""
    found: set[IP] = set()
    try:
        import psutil

        for addrs in psutil.net_if_addrs().values():
            for a in addrs:
                if a.family in (socket.AF_INET, socket.AF_INET6):
                    try:
                        found.add(ipaddress.ip_address(a.address.split("%", 1)[0]))
                    except ValueError:
                        continue
    except Exception:  # noqa: BLE001 - no interface list: fall back to the host name's addresses
        pass
    try:
        for info in pinning.system_getaddrinfo(socket.gethostname(), None):
            found.add(ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]))
    except (OSError, ValueError):
        pass
    return frozenset(found)


def refusal(ip: IP) -> str | None:
    """Why the rule refuses this address (a plural noun phrase), or None."""
    ip = _embedded(ip)
    if ip in METADATA:
        return "the cloud metadata address"
    checks = (
        (ip.is_loopback, "loopback addresses"),
        (ip.is_link_local, "link-local addresses"),
        (ip.is_unspecified, "unspecified addresses"),
        (ip.is_multicast, "multicast addresses"),
        (ip in CGNAT or ip.is_private and not ip.is_reserved, "private addresses"),
        (ip.is_reserved or not ip.is_global, "reserved addresses"),
        (ip in _own_addresses(), "this server's own addresses"),
    )
    return next((reason for hit, reason in checks if hit), None)


def _allowed(settings: Settings, host: str, ip: IP | None) -> bool:
    for entry in settings.egress_allow:
        entry = entry.strip()
        try:
            network = ipaddress.ip_network(entry, strict=False)
        except ValueError:
            if pinning.normalise(entry) == host:
                return True
            continue
        if ip is not None and (ip in network or _embedded(ip) in network):
            return True
    return False


def resolve(host: str, what: str) -> list[IP]:
    """Every address of a name (or the one a literal denotes); BadRequest when it has none."""
    found = literal(host)
    if found is not None:
        return [found]
    if not HOST_NAME.match(host):
        raise BadRequest(f"{what}: {host!r} is not a valid host name")
    try:
        infos = pinning.system_getaddrinfo(host, None, 0, socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise BadRequest(f"{what}: host {host!r} could not be resolved") from None
    addresses: list[IP] = []
    for info in infos:
        ip = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if ip not in addresses:
            addresses.append(ip)
    return addresses


def approve(host: str, port: int | None, *, trusted: bool, settings: Settings, what: str) -> Approved:
    """Resolve and check a normalised host; the addresses that may be used."""
    addresses = resolve(host, what)
    if not trusted and not _allowed(settings, host, None):
        for ip in addresses:
            reason = refusal(ip)
            if reason and not _allowed(settings, host, ip):
                raise _refuse(f"{what}: host {host!r}" if literal(host) is None else what, reason)
    return Approved(host, port, tuple(str(ip) for ip in addresses))


def _port(value: int | str | None, what: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not str(value).isdigit() or not 1 <= int(value) <= 65535:
        raise BadRequest(f"{what}: port must be a number from 1 to 65535")
    return int(value)


def check_host(host: str, port: int | str | None = None, *, trusted: bool, settings: Settings,
               what: str = "destination") -> Approved:
    """A bare host (name or address, `[v6]` allowed) and optional port."""
    if not isinstance(host, str) or not host.strip() or any(c in host for c in "/@?#\\ \t\r\n\0"):
        raise BadRequest(f"{what}: expected a host name or address")
    return approve(pinning.normalise(host), _port(port, what), trusted=trusted, settings=settings, what=what)


def check_url(url: str, *, trusted: bool, settings: Settings, what: str = "URL",
              schemes: tuple[str, ...] = ("http", "https")) -> Approved:
    """A URL of one of `schemes`, without user info; its host checked as by check_host."""
    if not isinstance(url, str) or any(c in url for c in " \t\r\n\0\\"):
        raise BadRequest(f"{what}: expected a URL")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise BadRequest(f"{what}: malformed URL") from None
    if parts.scheme.lower() not in schemes:
        raise BadRequest(f"{what}: only {', '.join(s + '://' for s in schemes)} URLs are accepted")
    if "@" in parts.netloc:
        raise BadRequest(f"{what}: user info in the URL is not accepted")
    if not parts.hostname:
        raise BadRequest(f"{what}: the URL names no host")
    return check_host(parts.hostname, port, trusted=trusted, settings=settings, what=what)


def guard(settings: Settings, trusted: bool, approved: Iterable[Approved]):
    """A context in which every name resolves to its approved addresses; other names are
    resolved and checked on the spot (and used as checked). A no-op for trusted callers."""
    if trusted:
        return nullcontext()
    pins = {a.host: list(a.addresses) for a in approved}

    def check(host: str) -> list[str]:
        if host in pins:
            return pins[host]
        try:
            return list(approve(host, None, trusted=False, settings=settings, what="connection").addresses)
        except BadRequest as exc:
            raise socket.gaierror(socket.EAI_NONAME, exc.message) from None

    return pinning.guarded(check)


