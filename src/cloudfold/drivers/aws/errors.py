"""Every botocore exception becomes a DriverError or DriverUnavailable at the driver boundary."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError, WaiterError
from botocore.exceptions import ConnectionError as BotoConnectionError

from cloudfold.drivers.base import DriverError, DriverUnavailable

_NOT_FOUND_CODES = {"NoSuchBucket", "NoSuchHostedZone", "NotFound", "404", "NoSuchKey"}
_UNAVAILABLE_CODES = {"ServiceUnavailable", "Unavailable", "SlowDown", "RequestLimitExceeded", "Throttling",
                      "ThrottlingException"}


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def is_not_found(exc: ClientError) -> bool:
    code = error_code(exc)
    return code in _NOT_FOUND_CODES or code.endswith((".NotFound", ".Malformed"))


def client_error_message(exc: ClientError) -> str:
    error = exc.response.get("Error", {})
    code = error.get("Code") or "Unknown"
    message = error.get("Message") or str(exc)
    return f"AWS {exc.operation_name}: {code}: {message}"


def translate(exc: Exception) -> DriverError:
    """The cloudfold exception for a botocore one."""
    if isinstance(exc, (BotoConnectionError, HTTPClientError)):
        return DriverUnavailable(f"AWS unreachable: {exc}")
    if isinstance(exc, ClientError):
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if status == 503 or error_code(exc) in _UNAVAILABLE_CODES:
            return DriverUnavailable(client_error_message(exc))
        return DriverError(client_error_message(exc))
    if isinstance(exc, WaiterError):
        reason = exc.kwargs.get("reason") or str(exc)
        return DriverError(f"AWS waiter {exc.name}: {reason}")
    return DriverError(f"AWS: {exc}")


@contextmanager
def translated() -> Iterator[None]:
    try:
        yield
    except (BotoCoreError, ClientError) as exc:
        raise translate(exc) from exc
