"""One probe per monitor kind, asyncio, each connecting only to the addresses the egress rule
approved (`Approved.addresses`): HTTP(S) through aiohttp (keep-alive pool; a resolver that
answers only approved names, so TLS still checks the real name), TCP connect, ping (ICMP with
icmplib when the process may, else any TCP answer as `domain/probes.py`), SSH banner, DNS
(dnspython). A probe never raises: every failure (refused, reset, hung, garbage) is a failed
`Result` with a short reason of ours, never the target's own text."""

from __future__ import annotations

import asyncio
import errno
import socket
import ssl
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import aiohttp
import dns.asyncresolver
import dns.exception
import dns.resolver
from aiohttp.abc import AbstractResolver

from cloudfold.domain.egress import Approved
from cloudfold.domain.probes import PING_PORTS
from cloudfold.domain.monitors import specs, tls
from cloudfold.settings import Settings

BODY_LIMIT = 256 * 1024  # bytes of an answer read when looking for a keyword
PING_TCP_PORTS = PING_PORTS  # the ports /vms/{id}/status knocks on too
CERT_TTL = 3600.0  # seconds a target's certificate expiry is reused


@dataclass
class Result:
    ok: bool
    latency_ms: float | None = None
    status_code: int | None = None
    error: str | None = None
    cert_expires_at: datetime | None = None
    started_at: datetime | None = None  # when the probe began (after waiting for a free slot)


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 3)


def reason(exc: BaseException) -> str:
    """A short, fixed description of why a connection failed."""
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return tls.verify_reason(exc.certificate_error)
    if isinstance(exc, ssl.SSLCertVerificationError):
        return tls.verify_reason(exc)
    if isinstance(exc, TimeoutError | asyncio.TimeoutError | aiohttp.ServerTimeoutError):
        return "timed out"
    if isinstance(exc, ConnectionRefusedError) or getattr(exc, "errno", None) == errno.ECONNREFUSED:
        return "connection refused"
    if isinstance(exc, ConnectionResetError | aiohttp.ServerDisconnectedError):
        return "connection reset"
    if isinstance(exc, aiohttp.ClientResponseError | aiohttp.ClientPayloadError):
        return "invalid HTTP answer"
    if isinstance(exc, ssl.SSLError | aiohttp.ClientSSLError):
        return "TLS: handshake failed"
    if isinstance(exc, socket.gaierror):
        return "host not approved for this connection"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return reason(exc.os_error) if exc.os_error is not None and exc.os_error is not exc else "connection failed"
    if isinstance(exc, OSError):
        return "connection failed"
    return f"probe failed ({type(exc).__name__})"


class PinnedResolver(AbstractResolver):
    """aiohttp's resolver: approved names only, to their approved addresses."""

    def __init__(self) -> None:
        self.pins: dict[str, tuple[str, ...]] = {}

    async def resolve(self, host: str, port: int = 0, family: int = socket.AF_INET) -> list[dict[str, Any]]:
        addresses = self.pins.get(host.rstrip(".").lower())
        if not addresses:
            raise OSError(errno.EACCES, "host not approved for this connection")
        return [{"hostname": host, "host": a, "port": port,
                 "family": socket.AF_INET6 if ":" in a else socket.AF_INET, "proto": 0,
                 "flags": socket.AI_NUMERICHOST} for a in addresses]

    async def close(self) -> None:
        return None


class Probers:
    """The per-kind probes of one event loop (an HTTP pool, a bound on connections in flight)."""

    def __init__(self, settings: Settings, concurrency: int | None = None) -> None:
        self.settings = settings
        self.limit = asyncio.Semaphore(concurrency or settings.monitor_max_concurrency)
        self.ssl = tls.verifying_context(settings)
        # one pool and resolver per trust level: a name an admin's monitor pinned to an address
        # the rule refuses members can never lend that address (or a kept-alive connection to
        # it) to a member's probe of the same name
        self._pools: dict[bool, tuple[aiohttp.ClientSession, PinnedResolver]] = {}
        self._icmp: str | None = None  # "privileged", "unprivileged" or "tcp", found on first use
        self._system_dns: dns.asyncresolver.Resolver | None = None
        self._certs: dict[tuple, tuple[float, datetime | None]] = {}  # a cache safe to lose

    def http(self, trusted: bool) -> tuple[aiohttp.ClientSession, PinnedResolver]:
        if trusted not in self._pools:
            resolver = PinnedResolver()
            connector = aiohttp.TCPConnector(limit=0, resolver=resolver, use_dns_cache=False,
                                             keepalive_timeout=75, enable_cleanup_closed=True)
            session = aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar(),
                                            auto_decompress=True, skip_auto_headers=("User-Agent",),
                                            headers={"User-Agent": "cloudfold-monitor"})
            self._pools[trusted] = (session, resolver)
        return self._pools[trusted]

    async def close(self) -> None:
        pools, self._pools = self._pools, {}
        for session, _ in pools.values():
            await session.close()

    async def probe(self, kind: str, target: str, config: dict[str, Any], approved: Approved | None,
                    timeout: float, trusted: bool = False) -> Result:
        async with self.limit:
            started_at, start = datetime.now(timezone.utc), time.perf_counter()
            try:
                async with asyncio.timeout(timeout):
                    if kind == "http":
                        result = await self._http(target, config, approved, timeout, trusted)
                    else:
                        result = await getattr(self, f"_{kind}")(target, config, approved, timeout)
            except Exception as exc:  # noqa: BLE001 - every failure is a failed check, never a stuck worker
                result = Result(False, _ms(start), error=reason(exc))
            result.started_at = started_at
            return result

    # -- the kinds ------------------------------------------------------------------
    async def _http(self, target: str, config: dict[str, Any], approved: Approved, timeout: float,
                    trusted: bool) -> Result:
        pool, resolver = self.http(trusted)
        resolver.pins[approved.host] = approved.addresses
        https = target.lower().startswith("https:")
        verify = config.get("verify_tls", True)
        start = time.perf_counter()
        async with pool.request(config.get("method", "GET"), target, allow_redirects=False,
                                       ssl=(self.ssl if verify else False) if https else None,
                                       timeout=aiohttp.ClientTimeout(total=timeout)) as resp:
            keyword = config.get("keyword")
            body = await resp.content.read(BODY_LIMIT) if keyword else b""
            latency = _ms(start)
        status = resp.status
        expires = await self._expiry(approved, target, timeout) if https and verify else None
        if not specs.statuses_accept(config.get("accepted_statuses", "200-399"), status):
            return Result(False, latency, status, f"HTTP status {status} not accepted", expires)
        if keyword and keyword.encode() not in body:
            return Result(False, latency, status, "keyword not found", expires)
        return Result(True, latency, status, None, expires)

    async def _expiry(self, approved: Approved, target: str, timeout: float) -> datetime | None:
        """The certificate's expiry, read by its own handshake at most once per CERT_TTL per
        target (the pool keeps connections open, so the request's handshake is rarely fresh)."""
        key = (approved.addresses[0], approved.port, approved.host)
        hit = self._certs.get(key)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        try:
            expires = await tls.peer_expiry(approved.addresses[0], approved.port, approved.host, self.ssl, timeout)
        except (OSError, TimeoutError, ssl.SSLError):
            expires = None
        self._certs[key] = (time.monotonic() + CERT_TTL, expires)
        return expires

    async def _connect(self, address: str, port: int):
        return await asyncio.open_connection(address, port)

    async def _tcp(self, target: str, config: dict[str, Any], approved: Approved, timeout: float) -> Result:
        start = time.perf_counter()
        _, writer = await self._connect(approved.addresses[0], approved.port)
        latency = _ms(start)
        writer.close()
        return Result(True, latency)

    async def _ssh(self, target: str, config: dict[str, Any], approved: Approved, timeout: float) -> Result:
        start = time.perf_counter()
        reader, writer = await self._connect(approved.addresses[0], approved.port or 22)
        try:
            line = await reader.readline()
        finally:
            writer.close()
        if not line.startswith(b"SSH-"):
            return Result(False, _ms(start), error="no SSH banner")
        return Result(True, _ms(start))

    async def _ping(self, target: str, config: dict[str, Any], approved: Approved, timeout: float) -> Result:
        address = approved.addresses[0]
        if self._icmp != "tcp":
            from icmplib import async_ping
            from icmplib.exceptions import SocketPermissionError

            for mode in ("privileged", "unprivileged") if self._icmp is None else (self._icmp,):
                try:
                    host = await async_ping(address, count=1, timeout=timeout, privileged=mode == "privileged")
                except SocketPermissionError:
                    continue
                self._icmp = mode
                if host.is_alive:
                    return Result(True, round(host.avg_rtt, 3))
                return Result(False, None, error="no answer to ping")
            self._icmp = "tcp"
        return await self._tcp_ping(address, timeout)

    async def _tcp_ping(self, address: str, timeout: float) -> Result:
        """Any answer, even a refused connection, proves the host is up (no raw sockets)."""
        for port in PING_TCP_PORTS:
            start = time.perf_counter()
            try:
                async with asyncio.timeout(timeout / len(PING_TCP_PORTS)):
                    _, writer = await self._connect(address, port)
                writer.close()
                return Result(True, _ms(start))
            except ConnectionRefusedError:
                return Result(True, _ms(start))
            except (OSError, TimeoutError):
                continue
        return Result(False, None, error="no answer to ping")

    async def _dns(self, target: str, config: dict[str, Any], approved: Approved | None, timeout: float) -> Result:
        if approved is None:
            if self._system_dns is None:
                self._system_dns = dns.asyncresolver.Resolver()
            resolver = self._system_dns
        else:
            resolver = dns.asyncresolver.Resolver(configure=False)
            resolver.nameservers = [approved.addresses[0]]
            resolver.port = approved.port or 53
        record_type = config.get("record_type", "A")
        start = time.perf_counter()
        try:
            answer = await resolver.resolve(target, record_type, lifetime=timeout, search=False)
        except dns.resolver.NXDOMAIN:
            return Result(False, _ms(start), error="no such name")
        except dns.resolver.NoAnswer:
            return Result(False, _ms(start), error=f"no {record_type} record")
        except dns.resolver.LifetimeTimeout:
            return Result(False, _ms(start), error="timed out")
        except (dns.resolver.NoNameservers, dns.exception.DNSException):
            return Result(False, _ms(start), error="DNS server failed to answer")
        latency = _ms(start)
        texts = [r.to_text() for r in answer]
        expected = config.get("expected")
        if expected and not any(expected.lower().rstrip(".") in t.lower() for t in texts):
            return Result(False, latency, error="expected answer not found")
        return Result(True, latency)
