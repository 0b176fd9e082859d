"""The private address ranges of RFC 1918: the only ones a VPC (or the VPC pool) may use.

`ipaddress`'s `is_private` is wider (loopback, link-local, shared and documentation ranges
count as "private" there), so it is not the test for where user networks may live."""

from __future__ import annotations

from ipaddress import IPv4Network

RANGES = tuple(IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
NAMES = ", ".join(str(n) for n in RANGES)


def contains(net: IPv4Network) -> bool:
    """Whether the whole of ``net`` lies inside one RFC 1918 range."""
    return any(net.subnet_of(r) for r in RANGES)
