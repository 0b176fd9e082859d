"""What a monitor may probe: kinds, targets and per-kind settings, checked before anything is
stored, and the destination (host, port) each probe connects to (put through the egress rule
when saved and again every time it connects, see `engine.py`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from cloudfold.domain import egress
from cloudfold.domain.egress.rules import HOST_NAME
from cloudfold.errors import BadRequest
from cloudfold.net import pinning
from cloudfold.settings import Settings

KINDS = ("http", "tcp", "ping", "ssh", "dns")
STATUS_RANGES = re.compile(r"^\d{3}(-\d{3})?(,\d{3}(-\d{3})?)*$")
RECORD_TYPES = ("A", "AAAA", "CNAME", "MX", "TXT", "NS", "SOA", "PTR", "SRV", "CAA")


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class HttpConfig(_Config):
    method: Literal["GET", "HEAD"] = "GET"
    keyword: str | None = Field(None, min_length=1, max_length=200)  # the body must contain it
    accepted_statuses: str = "200-399"  # e.g. "200-299,301"
    verify_tls: bool = True  # HTTPS: an invalid certificate fails the check
    wake_on_demand: bool = False  # seed 000 EndpointStatus.wakeOnDemand: the target sleeps until asked

    @field_validator("accepted_statuses")
    @classmethod
    def _ranges(cls, value: str) -> str:
        if not STATUS_RANGES.match(value.replace(" ", "")):
            raise ValueError("accepted_statuses must look like '200-299,301'")
        return value.replace(" ", "")


class DnsConfig(_Config):
    record_type: Literal[RECORD_TYPES] = "A"  # type: ignore[valid-type]
    expected: str | None = Field(None, min_length=1, max_length=255)  # an answer must contain it
    server: str | None = Field(None, min_length=1, max_length=300)  # host[:port]; default: the system's resolver


class NoConfig(_Config):
    pass


CONFIGS: dict[str, type[_Config]] = {"http": HttpConfig, "dns": DnsConfig, "tcp": NoConfig, "ping": NoConfig,
                                     "ssh": NoConfig}


@dataclass(frozen=True)
class Destination:
    host: str
    port: int | None


def statuses_accept(ranges: str, status: int) -> bool:
    for part in ranges.split(","):
        low, _, high = part.partition("-")
        if int(low) <= status <= int(high or low):
            return True
    return False


def split_host_port(text: str, what: str, default_port: int | None) -> Destination:
    """`host`, `host:port`, `[v6]` or `[v6]:port`; a bare IPv6 address has no port."""
    if not isinstance(text, str) or not text.strip() or any(c in text for c in "/@?#\\ \t\r\n\0"):
        raise BadRequest(f"{what}: expected host or host:port")
    text = text.strip()
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise BadRequest(f"{what}: malformed [IPv6]:port")
        port = rest[1:] or None
    elif text.count(":") == 1:
        host, port = text.split(":")
    else:
        host, port = text, None
    if port is not None and not (port.isascii() and port.isdigit() and 1 <= int(port) <= 65535):
        raise BadRequest(f"{what}: port must be a number from 1 to 65535")
    return Destination(pinning.normalise(host), int(port) if port else default_port)


def destination(kind: str, target: str, config: dict[str, Any]) -> Destination | None:
    """Where a probe of this monitor connects (DNS: its server, None for the system's resolver)."""
    if kind == "http":
        parts = urlsplit(target)
        return Destination(pinning.normalise(parts.hostname or ""), parts.port or (443 if parts.scheme == "https" else 80))
    if kind == "dns":
        server = config.get("server")
        return split_host_port(server, "config.server", 53) if server else None
    return split_host_port(target, "target", {"ssh": 22}.get(kind))


def check(kind: Any, target: Any, config: Any, *, trusted: bool, settings: Settings) -> tuple[str, dict[str, Any]]:
    """The normalised (target, config) of a monitor, or BadRequest naming what is wrong
    (including an egress refusal: checked here when saved)."""
    if kind not in KINDS:
        raise BadRequest(f"kind must be one of {', '.join(KINDS)}")
    if not isinstance(target, str) or not target.strip() or len(target) > 2048:
        raise BadRequest("target must be a non-empty string of at most 2048 characters")
    target = target.strip()
    try:
        parsed = CONFIGS[kind].model_validate(config if config is not None else {})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'config'}: {e['msg']}" for e in exc.errors())
        raise BadRequest(f"config: {problems}", detail={"kind": kind}) from None
    if kind == "http":
        egress.check_url(target, trusted=trusted, settings=settings, what="target")
    elif kind == "dns":
        if not HOST_NAME.match(pinning.normalise(target)):
            raise BadRequest("target: a DNS monitor's target is the name to look up")
        target = pinning.normalise(target)
    else:
        dest = split_host_port(target, "target", {"ssh": 22}.get(kind))
        if kind == "tcp" and dest.port is None:
            raise BadRequest("target: a TCP monitor needs host:port")
        if kind == "ping" and ":" in target and not target.startswith("[") and target.count(":") == 1:
            raise BadRequest("target: a ping monitor takes a host, without a port")
    dest = destination(kind, target, parsed.model_dump())
    if dest is not None:
        egress.check_host(dest.host, dest.port, trusted=trusted, settings=settings, what="target")
    return target, parsed.model_dump(exclude_defaults=False)


def approve(kind: str, target: str, config: dict[str, Any], *, trusted: bool, settings: Settings) -> egress.Approved | None:
    """Check the destination again, at connect time: the addresses the probe may use."""
    dest = destination(kind, target, config)
    if dest is None:
        return None
    return egress.check_host(dest.host, dest.port, trusted=trusted, settings=settings, what="target")
