"""TLS for probes: the context HTTPS probes verify with, and reading a server's certificate
(for `/domains/{domain}/ssl` and certificate checks): details even when it does not verify."""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass, field
from datetime import datetime, timezone

from cryptography import x509
from cryptography.x509.oid import NameOID

from cloudfold.settings import Settings


def verifying_context(settings: Settings) -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    if settings.monitor_ca_file:
        ctx.load_verify_locations(cafile=str(settings.monitor_ca_file))
    return ctx


def _reading_context() -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def verify_reason(exc: BaseException) -> str:
    """A short reason for a failed verification (OpenSSL's verify message, never the peer's text)."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS: {exc.verify_message or 'certificate not valid'}"[:200]
    return "TLS: handshake failed"


def expiry_of(peercert: dict | None) -> datetime | None:
    if not peercert or "notAfter" not in peercert:
        return None
    return datetime.fromtimestamp(ssl.cert_time_to_seconds(peercert["notAfter"]), timezone.utc)


@dataclass
class Certificate:
    subject: str | None = None
    issuer: str | None = None
    sans: list[str] = field(default_factory=list)
    not_before: datetime | None = None
    not_after: datetime | None = None
    days_left: int | None = None
    chain_valid: bool = False
    error: str | None = None  # why it does not verify, or why none was read


def _name(name: x509.Name) -> str:
    common = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(common[0].value) if common else name.rfc4514_string()


def describe(der: bytes) -> Certificate:
    cert = x509.load_der_x509_certificate(der)
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        sans = [str(v) for v in ext.get_values_for_type(x509.DNSName)] + [
            str(v) for v in ext.get_values_for_type(x509.IPAddress)]
    except x509.ExtensionNotFound:
        sans = []
    not_after = cert.not_valid_after_utc
    days = (not_after - datetime.now(timezone.utc)).days
    return Certificate(_name(cert.subject), _name(cert.issuer), sans, cert.not_valid_before_utc, not_after, days)


async def _handshake(address: str, port: int, server_name: str, ctx: ssl.SSLContext, timeout: float):
    async with asyncio.timeout(timeout):
        _, writer = await asyncio.open_connection(address, port, ssl=ctx, server_hostname=server_name)
    try:
        return writer.get_extra_info("ssl_object").getpeercert(binary_form=True)
    finally:
        writer.close()


async def peer_expiry(address: str, port: int, server_name: str, ctx: ssl.SSLContext, timeout: float) -> datetime | None:
    """When the (verified) certificate `address:port` presents for `server_name` expires."""
    async with asyncio.timeout(timeout):
        _, writer = await asyncio.open_connection(address, port, ssl=ctx, server_hostname=server_name)
    try:
        return expiry_of(writer.get_extra_info("ssl_object").getpeercert())
    finally:
        writer.close()


async def certificate(address: str, port: int, server_name: str, settings: Settings, timeout: float) -> Certificate:
    """The certificate `address:port` presents for `server_name`, and whether its chain and
    name verify. Connects only to `address` (the approved one)."""
    try:
        der = await _handshake(address, port, server_name, verifying_context(settings), timeout)
        found = describe(der)
        found.chain_valid = True
        return found
    except ssl.SSLCertVerificationError as exc:
        reason = verify_reason(exc)
    except (OSError, TimeoutError, ssl.SSLError):
        return Certificate(error="TLS: no handshake with the server")
    try:
        found = describe(await _handshake(address, port, server_name, _reading_context(), timeout))
    except (OSError, TimeoutError, ssl.SSLError, ValueError):
        return Certificate(error=reason)
    found.error = reason
    return found
