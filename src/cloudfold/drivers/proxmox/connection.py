"""Credentials and config of a Proxmox account: checking their shape, and the keyword
arguments ``proxmoxer.ProxmoxAPI`` takes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cloudfold.drivers.base import InvalidCredentials

DEFAULT_PORT = 8006
DEFAULT_TIMEOUT = 10.0
DEFAULT_TASK_TIMEOUT = 120.0


@dataclass(frozen=True)
class Connection:
    host: str
    port: int
    verify_ssl: bool | str  # False, True (system CAs) or a path to a CA bundle
    timeout: float
    task_timeout: float
    region: str | None
    auth: dict[str, str]  # user + token_name/token_value, or user + password

    def proxmoxer_kwargs(self) -> dict[str, Any]:
        return {"host": self.host, "port": self.port, "backend": "https", "service": "PVE",
                "verify_ssl": self.verify_ssl, "timeout": self.timeout, **self.auth}


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def parse_credentials(credentials: dict[str, Any]) -> dict[str, str]:
    """API token (user, token_name, token_value) or password (user, password); the token wins."""
    if not isinstance(credentials, dict):
        raise InvalidCredentials("proxmox credentials must be an object")
    user = _text(credentials.get("user"))
    token_name = _text(credentials.get("token_name"))
    token_value = _text(credentials.get("token_value"))
    password = credentials.get("password") if isinstance(credentials.get("password"), str) else None
    if token_name and "!" in token_name:  # the full token id "user@realm!name" as PVE shows it
        token_user, token_name = token_name.split("!", 1)
        if user and user != token_user:
            raise InvalidCredentials(f"proxmox token_name belongs to {token_user}, not to user {user}")
        user = user or token_user
    if not user:
        raise InvalidCredentials("proxmox credentials need user (e.g. root@pam) with token_name and "
                                 "token_value, or with password")
    if "@" not in user or user.startswith("@") or user.endswith("@"):
        raise InvalidCredentials("proxmox user must include its realm, e.g. root@pam or automation@pve")
    if token_name and token_value:
        return {"user": user, "token_name": token_name, "token_value": token_value}
    if password:
        return {"user": user, "password": password}
    raise InvalidCredentials("proxmox credentials need token_name and token_value (an API token), "
                             "or password")


def _split_host(raw: Any) -> tuple[str, int | None]:
    host = _text(raw)
    if not host:
        raise InvalidCredentials("proxmox config needs host (a host name or address, optionally host:port)")
    if host.lower().startswith("https://"):
        host = host[len("https://"):]
    elif "://" in host:
        raise InvalidCredentials("proxmox host: the Proxmox API is served over https only")
    host = host.rstrip("/")
    if "/" in host or not host:
        raise InvalidCredentials("proxmox host must be a host name or address, optionally with :port")
    port: str | None = None
    if host.startswith("["):  # [IPv6] or [IPv6]:port
        end = host.find("]")
        if end < 0:
            raise InvalidCredentials(f"proxmox host {host!r}: unbalanced brackets")
        rest = host[end + 1:]
        if rest:
            if not rest.startswith(":"):
                raise InvalidCredentials(f"proxmox host {host!r} is malformed")
            port = rest[1:]
        host = host[:end + 1]
    elif host.count(":") == 1:
        host, port = host.split(":")
    # else: a bare IPv6 address (proxmoxer brackets it) or a plain name
    if port is None:
        return host, None
    if not port.isdigit():
        raise InvalidCredentials(f"proxmox host {host!r}: port must be a number")
    return host, int(port)


def _port(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).isdigit():
        raise InvalidCredentials("proxmox port must be a number from 1 to 65535")
    return int(value)


def _positive(config: dict[str, Any], key: str, default: float) -> float:
    value = config.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise InvalidCredentials(f"proxmox {key} must be a positive number of seconds")
    return float(value)


def _verify(value: Any) -> bool | str:
    if value is None:
        return True
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip():
        lowered = value.strip().lower()
        if lowered in ("true", "false"):
            return lowered == "true"
        return value.strip()  # a CA bundle (PEM) path, as requests understands it
    raise InvalidCredentials("proxmox verify_ssl must be true, false or the path of a CA bundle")


def address(config: dict[str, Any]) -> tuple[str, int]:
    """The (host, port) the API is reached at: `host` (optionally host:port) and `port`."""
    if not isinstance(config, dict):
        raise InvalidCredentials("proxmox config must be an object")
    host, host_port = _split_host(config.get("host"))
    port = _port(config.get("port"))
    if host_port is not None and port is not None and host_port != port:
        raise InvalidCredentials(f"proxmox host names port {host_port} but config port is {port}")
    port = host_port if host_port is not None else port if port is not None else DEFAULT_PORT
    if not 1 <= port <= 65535:
        raise InvalidCredentials("proxmox port must be a number from 1 to 65535")
    return host, port


def parse(credentials: dict[str, Any], config: dict[str, Any]) -> Connection:
    if not isinstance(config, dict):
        raise InvalidCredentials("proxmox config must be an object")
    auth = parse_credentials(credentials)
    host, port = address(config)
    region = config.get("region")
    if region is not None and not _text(region):
        raise InvalidCredentials("proxmox region must be a non-empty string")
    return Connection(
        host=host, port=port, verify_ssl=_verify(config.get("verify_ssl")),
        timeout=_positive(config, "timeout", DEFAULT_TIMEOUT),
        task_timeout=_positive(config, "task_timeout", DEFAULT_TASK_TIMEOUT),
        region=_text(region), auth=auth,
    )
