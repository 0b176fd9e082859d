"""Seed 000 domainStatus: a domain's DNS answer, TLS certificate and HTTP status, probed now
with the monitors' probers. The name goes through the egress rule (members may not make the
server look at private or loopback addresses unless allow-listed); connections go only to the
addresses it approved."""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass
from datetime import datetime

from cloudfold.db.base import utcnow
from cloudfold.domain import egress
from cloudfold.domain.context import Principal
from cloudfold.domain.egress.rules import HOST_NAME, literal, resolve
from cloudfold.domain.monitors import tls
from cloudfold.domain.monitors.probers import Probers
from cloudfold.errors import BadRequest
from cloudfold.net import pinning
from cloudfold.settings import Settings

TIMEOUT = 5.0


@dataclass
class DomainStatus:
    domain: str
    port: int
    dns: dict
    tls: dict
    http: dict
    checked_at: datetime


def _name(domain: str) -> str:
    host = pinning.normalise(domain)
    if not host or not (HOST_NAME.match(host) or literal(host) is not None):
        raise BadRequest("domain: expected a domain name")
    return host


def _approve(host: str, port: int, viewer: Principal, settings: Settings) -> egress.Approved | None:
    """The approved addresses, or None when the name does not resolve (a DNS failure to report)."""
    try:
        resolve(host, "domain")
    except BadRequest:
        return None
    return egress.check_host(host, port, trusted=viewer.is_admin, settings=settings, what="domain")


async def _probe(host: str, port: int, approved: egress.Approved, settings: Settings):
    cert = await tls.certificate(approved.addresses[0], port, host, settings, TIMEOUT)
    scheme = "https" if cert.not_after is not None else "http"
    shown = f"[{host}]" if ":" in host else host
    url = f"{scheme}://{shown}:{port}/"
    probers = Probers(settings, 4)
    try:
        result = await probers.probe("http", url, {"verify_tls": False}, approved, TIMEOUT, trusted=False)
    finally:
        await probers.close()
    return cert, url, result


def status(domain: str, port: int, viewer: Principal, settings: Settings) -> DomainStatus:
    host = _name(domain)
    approved = _approve(host, port, viewer, settings)
    if approved is None:
        return DomainStatus(host, port, {"resolved": False, "addresses": [], "error": "the name does not resolve"},
                            {"valid": None}, {"status_code": None, "ok": False}, utcnow())
    cert, url, result = asyncio.run(_probe(host, port, approved, settings))
    return DomainStatus(
        host, port,
        {"resolved": True, "addresses": list(approved.addresses), "error": None},
        {"valid": cert.chain_valid if cert.not_after else None, "expires_at": cert.not_after,
         "days_left": cert.days_left, "error": cert.error},
        {"url": url, "status_code": result.status_code, "ok": result.ok and result.status_code is not None
         and result.status_code < 400, "latency_ms": result.latency_ms, "error": result.error},
        utcnow())


def certificate(domain: str, port: int, viewer: Principal, settings: Settings) -> dict:
    host = _name(domain)
    approved = _approve(host, port, viewer, settings)
    if approved is None:
        raise BadRequest("domain: the name does not resolve")
    cert = asyncio.run(tls.certificate(approved.addresses[0], port, host, settings, TIMEOUT))
    return {"domain": host, "port": port, **asdict(cert), "checked_at": utcnow()}
