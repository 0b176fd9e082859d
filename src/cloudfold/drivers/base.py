"""The one interface every cloud driver implements.

A driver talks to one cloud account's API and nothing else: it never touches cloudfold's
database. The domain (sync, actions, health) calls it and persists what it returns.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, ClassVar

KINDS = ("vm", "container", "storage", "network", "subnet", "volume", "dns_zone", "dns_record")
ACTIONS = ("start", "stop", "reboot", "reset", "terminate")
# the options an action may take: `force` (stop: kill at once instead of a graceful stop) and
# `timeout` (stop/reboot: seconds a graceful stop may take before the provider forces it)
ACTION_OPTIONS = ("force", "timeout")
# optional features a driver declares in `capabilities` (beyond the abstract methods):
# logs: `logs()`; stats: `stats()` and `sizes()`; host: `host()` and `capacity()`;
# provisioning: making and removing objects (drivers/local/provision.py);
# metrics: `metrics()`, the latest usage figures of many machines at once (domain/metrics)
# costs: `costs()`, what the provider's billing API says was spent per day and service (domain/costs);
# prices: `prices()`, list prices of instance types from the provider's price API (cloudfold prices refresh)
CAPABILITIES = ("logs", "stats", "host", "provisioning", "metrics", "costs", "prices")
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
class CostLine:
    """One day's spending on one service as a provider's billing API reports it."""

    day: date
    service: str
    amount: str  # decimal text in currency units, exact as reported
    currency: str
    usage: float | None = None  # usage quantity (e.g. hours of a compute service)
    unit: str | None = None


@dataclass(frozen=True)
class AccountSpec:
    """What a driver gets to know about its account: no database row, just values."""

    id: str
    provider_type: str
    region: str | None
    credentials: dict[str, Any]
    config: dict[str, Any]


class DriverError(Exception):
    """The provider answered with an error. The base of every typed driver error below; raised
    bare, it means "the provider failed" (as UpstreamError does).

    The message says what failed (operation, HTTP status, the SDK's error code); what the
    provider said (its message, body, task output) goes in `upstream`, which is logged on the
    server and never shown to clients, stored in task results or in an account's errors.

    Drivers classify by what the SDK reports in structured form (HTTP status, error code),
    never by the provider's message text; `cloudfold.domain.driver_errors.translate` is the one
    place that turns these into the project's errors."""

    def __init__(self, message: str = "", upstream: str | None = None) -> None:
        super().__init__(message)
        self.upstream = upstream


class DriverUnavailable(DriverError):
    """The provider could not be reached, timed out, or said it is unavailable (503)."""


Unavailable = DriverUnavailable  # the typed name; the old one stays for callers


class UpstreamError(DriverError):
    """The provider failed in a way none of the types below describes (a 5xx, an unexpected answer)."""


class NotFound(DriverError):
    """The object (or one it needs) does not exist at the provider (404, *.NotFound)."""


class Conflict(DriverError):
    """The object's state or a name/range already taken conflicts with the request (409)."""


class PortInUse(Conflict):
    """A host port the object publishes is already taken."""


class QuotaExceeded(DriverError):
    """The provider refused for a limit of the account or the host (instance/vCPU limits)."""


class InvalidRequest(DriverError):
    """The provider refused the request as malformed or unsupported (400)."""


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
    # optional keys of the credentials and config objects (the dashboard's account form shows them)
    optional_credential_fields: ClassVar[tuple[str, ...]] = ()
    config_fields: ClassVar[tuple[str, ...]] = ()
    # what each action this driver performs accepts, of ACTION_OPTIONS (an action not listed
    # is not supported; the domain refuses it, and drops options not listed, before calling)
    actions: ClassVar[dict[str, frozenset[str]]] = {}
    # optional features of CAPABILITIES this driver has; the domain checks `supports`
    capabilities: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def supports(cls, capability: str) -> bool:
        return capability in cls.capabilities

    @classmethod
    def options_for(cls, action: str, options: dict[str, Any] | None) -> dict[str, Any]:
        """The options of ``options`` the driver declares for ``action`` (others are dropped)."""
        accepted = cls.actions.get(action, frozenset())
        return {k: v for k, v in (options or {}).items() if k in accepted and v is not None}

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

        Only actions in ``actions`` are called, with the options declared there (ACTION_OPTIONS)."""

    @abstractmethod
    def ping(self) -> None:
        """Raise DriverError/DriverUnavailable when the account's API cannot be used."""

    def close(self) -> None:
        """Release connections."""

    def logs(self, external_id: str, tail: int) -> list[LogLine]:
        """The last `tail` lines a container printed (stdout and stderr), oldest first.
        Only drivers declaring the "logs" capability implement it."""
        raise DriverNotImplemented(f"{self.provider_type} cannot read container logs")

    def costs(self, start: date, end: date) -> list[CostLine]:
        """Daily spending by service from ``start`` to ``end`` (exclusive).
        Only drivers declaring the "costs" capability implement it."""
        raise DriverNotImplemented(f"{self.provider_type} reports no costs")

    def prices(self, instance_types: Sequence[str], region: str) -> dict[str, str]:
        """Hourly list prices (decimal text) of the instance types in a region that the provider knows.
        Only drivers declaring the "prices" capability implement it."""
        raise DriverNotImplemented(f"{self.provider_type} has no price API")

    def metrics(self, external_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The latest usage figures of each machine named that has some, by external id: a dict
        of `time` (aware UTC) and any of cpu_percent (100 = one core), cpu_time_ns, mem_bytes,
        mem_limit_bytes, counters net_in_bytes/net_out_bytes/disk_read_bytes/disk_write_bytes
        and rates net_in_rate/… (bytes/s, with `span`: the seconds they cover).
        Only drivers declaring the "metrics" capability implement it."""
        raise DriverNotImplemented(f"{self.provider_type} reports no metrics")
