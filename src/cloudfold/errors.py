"""Domain errors. Each carries one code of seed 000's error table; `STATUS_BY_CODE` (the
table's other column) is what the API layer answers with, and what the audit records for a
refusal, so the domain names errors, never HTTP statuses."""

from __future__ import annotations

from typing import Any


class CloudfoldError(Exception):
    code = "INTERNAL_ERROR"
    default_message = "Internal server error"

    def __init__(self, message: str | None = None, detail: Any = None, **extra: Any) -> None:
        self.message = message or self.default_message
        self.detail = detail
        self.extra = extra
        super().__init__(self.message)


class BadRequest(CloudfoldError):
    code = "BAD_REQUEST"
    default_message = "Invalid request parameters"


class PayloadTooLarge(BadRequest):
    default_message = "Request body too large"


class UnsupportedMediaType(BadRequest):
    default_message = "Unsupported content type"


class Unauthorized(CloudfoldError):
    code = "UNAUTHORIZED"
    default_message = "Not authenticated"


class Forbidden(CloudfoldError):
    code = "FORBIDDEN"
    default_message = "Not enough permissions"


class NotFound(CloudfoldError):
    code = "NOT_FOUND"
    default_message = "Resource not found"


class Conflict(CloudfoldError):
    code = "CONFLICT"
    default_message = "Resource state conflict"


class RateLimited(CloudfoldError):
    code = "RATE_LIMITED"
    default_message = "Too many requests, please slow down"

    def __init__(self, retry_after: int, message: str | None = None) -> None:
        super().__init__(message, detail={"retry_after": retry_after})
        self.retry_after = retry_after


class UpstreamError(CloudfoldError):
    code = "UPSTREAM_ERROR"
    default_message = "Cloud provider API error"


class ServiceUnavailable(CloudfoldError):
    code = "SERVICE_UNAVAILABLE"
    default_message = "Service temporarily unavailable"


# seed 000's error table: each code and the HTTP status it is answered with
STATUS_BY_CODE = {
    "BAD_REQUEST": 400,
    "UNAUTHORIZED": 401,
    "FORBIDDEN": 403,
    "NOT_FOUND": 404,
    "CONFLICT": 409,
    "RATE_LIMITED": 429,
    "INTERNAL_ERROR": 500,
    "UPSTREAM_ERROR": 502,
    "SERVICE_UNAVAILABLE": 503,
}


def status_of(error: CloudfoldError | type[CloudfoldError]) -> int:
    return STATUS_BY_CODE.get(error.code, 500)
