"""Route 53: hosted zones (dns_zone) and their record sets (dns_record); global, region None."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from botocore.exceptions import ClientError

from cloudfold.drivers.aws.common import chunks
from cloudfold.drivers.aws.errors import error_code, is_not_found
from cloudfold.drivers.base import Discovered


def zone_id(raw_id: str) -> str:
    return raw_id.rsplit("/", 1)[-1]  # "/hostedzone/Z123" -> "Z123"


def record_id(zone: str, raw: dict[str, Any]) -> str:
    base = f"{zone}/{raw['Name']}/{raw['Type']}"
    return f"{base}/{raw['SetIdentifier']}" if raw.get("SetIdentifier") else base


def zone(raw: dict[str, Any]) -> Discovered:
    config = raw.get("Config", {})
    metadata = {
        "name": raw["Name"],
        "record_count": raw.get("ResourceRecordSetCount"),
        "private": bool(config.get("PrivateZone")),
        "comment": config.get("Comment"),
    }
    return Discovered(kind="dns_zone", external_id=zone_id(raw["Id"]), name=raw["Name"].rstrip(".") or raw["Name"],
                      status="active", region=None, metadata=metadata)


def record(zone_key: str, raw: dict[str, Any]) -> Discovered:
    alias = raw.get("AliasTarget")
    values = [r["Value"] for r in raw.get("ResourceRecords", []) if "Value" in r]
    if alias and not values:
        values = [alias.get("DNSName")]
    metadata = {
        "zone_id": zone_key,
        "type": raw["Type"],
        "ttl": raw.get("TTL"),
        "values": values,
        "alias": bool(alias),
        "set_identifier": raw.get("SetIdentifier"),
        "weight": raw.get("Weight"),
        "routing_region": raw.get("Region"),
    }
    return Discovered(kind="dns_record", external_id=record_id(zone_key, raw), name=raw["Name"].rstrip(".") or raw["Name"],
                      status="active", region=None, metadata=metadata)


def _zones(client) -> Iterator[list[dict[str, Any]]]:
    for response in client.get_paginator("list_hosted_zones").paginate():
        yield response.get("HostedZones", [])


def zone_pages(client, page_size: int) -> Iterator[list[Discovered]]:
    for raws in _zones(client):
        yield from chunks((zone(r) for r in raws), page_size)


def record_pages(client, page_size: int) -> Iterator[list[Discovered]]:
    for raws in _zones(client):
        for raw_zone in raws:
            key = zone_id(raw_zone["Id"])
            try:
                for response in client.get_paginator("list_resource_record_sets").paginate(HostedZoneId=key):
                    yield from chunks((record(key, r) for r in response.get("ResourceRecordSets", [])), page_size)
            except ClientError as exc:
                if not is_not_found(exc):  # a zone deleted mid-listing has no records left
                    raise


def get_zone(client, key: str) -> Discovered | None:
    try:
        raw = client.get_hosted_zone(Id=key)["HostedZone"]
    except ClientError as exc:
        if is_not_found(exc) or error_code(exc) == "InvalidInput":
            return None
        raise
    return zone(raw)


def get_record(client, external_id: str) -> Discovered | None:
    parts = external_id.split("/", 3)
    if len(parts) < 3:
        return None
    key, name, rtype = parts[:3]
    set_id = parts[3] if len(parts) == 4 else None
    want = (name.rstrip(".").lower(), rtype)
    start: dict[str, str] = {"StartRecordName": name, "StartRecordType": rtype}
    try:
        while True:
            response = client.list_resource_record_sets(HostedZoneId=key, MaxItems="100", **start)
            for raw in response.get("ResourceRecordSets", []):
                if (raw["Name"].rstrip(".").lower(), raw["Type"]) != want:
                    return None  # sorted listing: past the wanted name and type
                if raw.get("SetIdentifier") == set_id:
                    return record(key, raw)
            if not response.get("IsTruncated"):
                return None
            start = {"StartRecordName": response["NextRecordName"], "StartRecordType": response["NextRecordType"]}
            if response.get("NextRecordIdentifier"):
                start["StartRecordIdentifier"] = response["NextRecordIdentifier"]
    except ClientError as exc:
        if is_not_found(exc):
            return None
        raise
