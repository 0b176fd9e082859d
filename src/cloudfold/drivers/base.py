"""The one interface every cloud driver implements.

A driver talks to one cloud account's API and nothing else: it never touches cloudfold's
database. The domain (sync, actions, health) calls it and persists what it returns.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

KINDS = ("vm", "container", "storage", "network", "subnet", "volume", "dns_zone", "dns_record")
ACTIONS = ("start", "stop", "reboot", "reset", "terminate")
OWNER_LABEL = "cloudfold.owner"  # tag: the uuid of the user who made the object through cloudfold


@dataclass
class Discovered:
    """One cloud object as a driver sees it."""

    kind: str
    external_id: str
    name: str
    status: str
    region: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    cost_per_hour: float | None = None
    created_at: datetime | None = None


@dataclass(frozen=True)
class LogLine:
    """One line a container printed; `time` as the provider reports it, when it does."""

    time: datetime | None
    message: str


@dataclass(frozen=True)
class AccountSpec:
    """What a driver gets to know about its account: no database row, just values."""

    id: str
    provider_type: str
    region: str | None
    credentials: dict[str, Any]
    config: dict[str, Any]


class DriverError(Exception):
    """The provider answered with an error (maps to 502 UPSTREAM_ERROR).

    The message says what failed (operation, HTTP status, the SDK's error code); what the
    provider said (its message, body, task output) goes in `upstream`, which is logged on the
    server and never shown to clients, stored in task results or in an account's errors."""

    def __init__(self, message: str = "", upstream: str | None = None) -> None:
        super().__init__(message)
        self.upstream = upstream


class DriverUnavailable(DriverError):
    """The provider could not be reached or timed out (maps to 503 SERVICE_UNAVAILABLE)."""


class DriverNotImplemented(DriverError):
    """This provider type has no working driver in this build."""


class InvalidCredentials(ValueError):
    """Credentials or config of the wrong shape for this provider."""


class Driver(ABC):
    provider_type: ClassVar[str]
    kinds: ClassVar[tuple[str, ...]] = ()
    # the scope each action needs; machine control is admin (seed 000)
    action_scopes: ClassVar[dict[str, str]] = {a: "admin" for a in ACTIONS}
    credential_fields: ClassVar[tuple[str, ...]] = ()  # required keys of the credentials object
    # optional features beyond the abstract methods, e.g. "logs" (see `logs`)
    capabilities: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, account: AccountSpec) -> None:
        self.account = account

    @classmethod
    def validate(cls, credentials: dict[str, Any], config: dict[str, Any]) -> None:
        """Raise InvalidCredentials when the credentials or config are malformed."""
        missing = [f for f in cls.credential_fields if not credentials.get(f)]
        if missing:
            raise InvalidCredentials(f"{cls.provider_type} credentials need: {', '.join(missing)}")

    @abstractmethod
    def pages(self, kinds: tuple[str, ...] | None = None) -> Iterator[list[Discovered]]:
        """Yield every resource of the given kinds, a page at a time (pages bound memory)."""

    @abstractmethod
    def get(self, kind: str, external_id: str) -> Discovered | None:
        """The current state of one object, or None when it no longer exists."""

    @abstractmethod
    def act(self, kind: str, external_id: str, action: str, **options: Any) -> Discovered | None:
        """Perform an action; return the object's state afterwards (None once gone).

        Options a driver may honour: ``force`` (stop: kill instead of a graceful stop) and
        ``timeout`` (stop/reboot: seconds to wait before forcing). Unknown options are ignored."""

    @abstractmethod
    def ping(self) -> None:
        """Raise DriverError/DriverUnavailable when the account's API cannot be used."""

    def close(self) -> None:  # noqa: B027  (optional hook)
        """Release connections."""

    def logs(self, external_id: str, tail: int) -> list[LogLine]:
        """The last `tail` lines a container printed (stdout and stderr), oldest first.
        Only drivers declaring the "logs" capability implement it."""
        raise DriverNotImplemented(f"{self.provider_type} cannot read container logs")
