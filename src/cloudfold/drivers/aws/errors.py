"""Every botocore exception becomes a typed driver error at the driver boundary, by AWS's
error code and HTTP status (never by the message)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError, WaiterError
from botocore.exceptions import ConnectionError as BotoConnectionError
from botocore.parsers import ResponseParserError

from cloudfold.drivers.base import (
    Conflict,
    DriverError,
    DriverUnavailable,
    InvalidRequest,
    NotFound,
    QuotaExceeded,
    UpstreamError,
)

_NOT_FOUND_CODES = {"NoSuchBucket", "NoSuchHostedZone", "NotFound", "404", "NoSuchKey"}
_UNAVAILABLE_CODES = {"ServiceUnavailable", "Unavailable", "SlowDown", "RequestLimitExceeded", "Throttling",
                      "ThrottlingException", "LimitExceededException"}  # the last: Cost Explorer's throttle


# codes AWS documents for a state or name conflict, and for an account's limits
_CONFLICT_CODES = {"IncorrectInstanceState", "IncorrectState", "DependencyViolation", "BucketAlreadyExists",
                   "BucketAlreadyOwnedByYou", "BucketNotEmpty", "HostedZoneNotEmpty", "HostedZoneAlreadyExists",
                   "InvalidChangeBatch", "OperationAborted", "ConflictException", "OperationNotPermitted"}
_QUOTA_CODES = {"InstanceLimitExceeded", "VcpuLimitExceeded", "InsufficientInstanceCapacity",
                "VolumeLimitExceeded", "VpcLimitExceeded", "TooManyBuckets", "TooManyHostedZones",
                "AddressLimitExceeded", "MaxSpotInstanceCountExceeded", "ServiceQuotaExceededException"}


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def is_not_found(exc: ClientError) -> bool:
    code = error_code(exc)
    return code in _NOT_FOUND_CODES or code.endswith((".NotFound", ".Malformed"))


def client_error_message(exc: ClientError) -> str:
    """The operation, AWS's error code and the HTTP status; AWS's message stays in `upstream`."""
    code = error_code(exc) or "Unknown"
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return f"AWS {exc.operation_name}: {code}" + (f" (HTTP {status})" if status else "")


def translate(exc: Exception) -> DriverError:
    """The cloudfold exception for a botocore one. Nothing the endpoint sent is put in the
    message (a malformed answer's body would otherwise be echoed back)."""
    if type(exc) is HTTPClientError:  # its text quotes what the other side sent (a banner, a bad status line)
        return DriverUnavailable("AWS unreachable: the endpoint's answer was not HTTP", upstream=str(exc)[:500])
    if isinstance(exc, (BotoConnectionError, HTTPClientError)):  # these name the endpoint URL and the local error
        return DriverUnavailable(f"AWS unreachable: {exc}")
    if isinstance(exc, ClientError):
        upstream = str(exc.response.get("Error", {}).get("Message") or "") or None
        return _kind(exc)(client_error_message(exc), upstream=upstream)
    if isinstance(exc, WaiterError):
        return UpstreamError(f"AWS waiter {exc.name} failed", upstream=str(exc.kwargs.get("reason") or exc))
    if isinstance(exc, ResponseParserError):
        return UpstreamError("AWS: the endpoint's answer could not be parsed", upstream=str(exc)[:500])
    return UpstreamError(f"AWS call failed ({type(exc).__name__})", upstream=str(exc)[:500])


def _kind(exc: ClientError) -> type[DriverError]:
    """The driver error type of an AWS error answer: its code first, then its HTTP status."""
    code = error_code(exc)
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    if status == 503 or code in _UNAVAILABLE_CODES:
        return DriverUnavailable
    if code in _NOT_FOUND_CODES or code.endswith(".NotFound") or status == 404:
        return NotFound
    if code in _QUOTA_CODES:
        return QuotaExceeded
    if code in _CONFLICT_CODES or code.endswith((".Duplicate", "AlreadyExists")) or status == 409:
        return Conflict
    if isinstance(status, int) and 400 <= status < 500 and status not in (401, 403):
        return InvalidRequest  # a malformed id or parameter (InvalidParameterValue, *.Malformed, …)
    return UpstreamError


@contextmanager
def translated() -> Iterator[None]:
    try:
        yield
    except (BotoCoreError, ClientError, ResponseParserError) as exc:
        raise translate(exc) from exc
