"""S3 buckets (storage): account-wide, each bucket's region from the listing or its location."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from botocore.exceptions import ClientError

from cloudfold.drivers.aws.common import chunks, iso, utc
from cloudfold.drivers.aws.errors import error_code, is_not_found
from cloudfold.drivers.base import Discovered

_LEGACY_LOCATIONS = {"": "us-east-1", "EU": "eu-west-1"}


class _Gone(Exception):
    """The bucket vanished between the listing and a per-bucket call."""


def bucket_region(client, name: str) -> str | None:
    try:
        location = client.get_bucket_location(Bucket=name).get("LocationConstraint") or ""
    except ClientError as exc:
        if is_not_found(exc):
            raise _Gone(name) from exc
        if error_code(exc) in {"AccessDenied", "AllAccessDisabled"}:
            return None  # listed but not readable: keep it, region unknown
        raise
    return _LEGACY_LOCATIONS.get(location, location)


def bucket_versioning(client, name: str) -> bool | None:
    try:
        status = client.get_bucket_versioning(Bucket=name).get("Status")
    except ClientError as exc:
        if is_not_found(exc):
            raise _Gone(name) from exc
        if error_code(exc) in {"AccessDenied", "AllAccessDisabled"}:
            return None
        raise
    return status == "Enabled"


def bucket(client, raw: dict[str, Any]) -> Discovered | None:
    name = raw["Name"]
    try:
        region = raw.get("BucketRegion") or bucket_region(client, name)
        versioning = bucket_versioning(client, name)
    except _Gone:
        return None
    created = raw.get("CreationDate")
    metadata = {"bucket_type": "s3", "creation_date": iso(created), "versioning": versioning}
    return Discovered(kind="storage", external_id=name, name=name, status="active", region=region,
                      metadata=metadata, created_at=utc(created))


def _listed(client, prefix: str | None = None) -> Iterator[dict[str, Any]]:
    kwargs = {"Prefix": prefix} if prefix else {}
    if client.can_paginate("list_buckets"):
        for response in client.get_paginator("list_buckets").paginate(**kwargs):
            yield from response.get("Buckets", [])
    else:  # older botocore: one call lists every bucket
        yield from client.list_buckets(**kwargs).get("Buckets", [])


def bucket_pages(client, page_size: int) -> Iterator[list[Discovered]]:
    for raws in chunks(_listed(client), page_size):
        page = [d for d in (bucket(client, raw) for raw in raws) if d is not None]
        if page:
            yield page


def get_bucket(client, name: str) -> Discovered | None:
    for raw in _listed(client, prefix=name):
        if raw.get("Name") == name:
            return bucket(client, raw)
    return None
