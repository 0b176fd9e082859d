"""The one translation from a driver's typed errors (drivers/base.py) to the project's errors.

Every capability that calls a driver turns its failures into the one error shape here, so a
taken port, a missing object or an unreachable engine answers the same on every face. The
message is the driver's own (what failed, the HTTP status, the SDK's code); what the provider
said stays in `DriverError.upstream`, which `accounts.driver` logs and nothing shows.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from cloudfold.domain.quotas import NOT_AVAILABLE
from cloudfold.drivers import base
from cloudfold.errors import BadRequest, CloudfoldError, Conflict, ServiceUnavailable, UpstreamError


def translate(exc: base.DriverError, who: str = "Provider") -> CloudfoldError:
    """The project's error for a driver error; ``who`` names the provider in the message
    (e.g. "Container engine")."""
    if isinstance(exc, base.DriverNotImplemented):
        return ServiceUnavailable(str(exc))
    if isinstance(exc, base.DriverUnavailable):
        return ServiceUnavailable(f"{who} unreachable: {exc}")
    if isinstance(exc, base.PortInUse):  # the same answer whoever holds the port (quotas.ports)
        return Conflict(NOT_AVAILABLE)
    if isinstance(exc, (base.Conflict, base.QuotaExceeded, base.NotFound)):
        return Conflict(f"{who} refused: {exc}")
    if isinstance(exc, base.InvalidRequest):
        return BadRequest(f"{who} refused: {exc}")
    return UpstreamError(f"{who} failed: {exc}")


@contextmanager
def translated(who: str = "Provider") -> Iterator[None]:
    """Run a block that calls a driver; its driver errors leave as the project's errors."""
    try:
        yield
    except base.DriverError as exc:
        raise translate(exc, who) from exc
