"""EC2: instances (vm), VPCs (network), subnets (subnet) and EBS volumes (volume) of one region."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cloudfold import pricing
from cloudfold.drivers.aws.common import chunks, display_name, iso, tag_dict, utc
from cloudfold.drivers.aws.status import instance_status, network_status, volume_status
from cloudfold.drivers.base import Discovered

FILTER_VALUES = 200  # AWS accepts at most 200 values per filter


# instance states in which compute is billed
BILLED_STATES = {"pending", "running", "stopping"}


# -- pricing (the one catalogue: cloudfold/pricing.py) ------------------------------
def _hourly(price) -> float | None:
    return None if price is None else round(float(price), 6)


def instance_cost(instance_type: str | None, status: str, region: str | None = None) -> float | None:
    """Hourly cost now: the catalogue's price in the region while billed, 0.0 when stopped, None when unknown."""
    price = _hourly(pricing.hourly("aws", instance_type, region))
    if price is None:
        return None
    return price if status in BILLED_STATES else 0.0


# -- mapping -----------------------------------------------------------------------
def instance(raw: dict[str, Any], region: str) -> Discovered:
    tags = tag_dict(raw.get("Tags"))
    status = instance_status(raw.get("State", {}).get("Name"))
    instance_type = raw.get("InstanceType")
    cost = instance_cost(instance_type, status, region)
    metadata = {
        "instance_type": instance_type,
        "public_ip": raw.get("PublicIpAddress"),
        "private_ip": raw.get("PrivateIpAddress"),
        "vpc_id": raw.get("VpcId"),
        "subnet_id": raw.get("SubnetId"),
        "security_groups": [g["GroupId"] for g in raw.get("SecurityGroups", []) if "GroupId" in g],
        "launch_time": iso(raw.get("LaunchTime")),
        "availability_zone": raw.get("Placement", {}).get("AvailabilityZone"),
        "image_id": raw.get("ImageId"),
        "key_name": raw.get("KeyName"),
        "architecture": raw.get("Architecture"),
        "platform": raw.get("PlatformDetails") or raw.get("Platform"),
        "state": raw.get("State", {}).get("Name"),
        "cost_per_hour": cost,
        "tags": tags,
    }
    return Discovered(
        kind="vm", external_id=raw["InstanceId"], name=display_name(tags, raw["InstanceId"]), status=status,
        region=region, metadata=metadata, tags=tags, cost_per_hour=cost, created_at=utc(raw.get("LaunchTime")),
    )


def vpc(raw: dict[str, Any], region: str, related: dict[str, dict[str, list[str]]] | None = None) -> Discovered:
    tags = tag_dict(raw.get("Tags"))
    extra = (related or {}).get(raw["VpcId"], {})
    metadata: dict[str, Any] = {
        "cidr_block": raw.get("CidrBlock"),
        "cidr_blocks": [a["CidrBlock"] for a in raw.get("CidrBlockAssociationSet", []) if "CidrBlock" in a],
        "is_default": bool(raw.get("IsDefault")),
        "instance_tenancy": raw.get("InstanceTenancy"),
        "dhcp_options_id": raw.get("DhcpOptionsId"),
        "tags": tags,
    }
    if related is not None:
        metadata["subnets"] = sorted(extra.get("subnets", []))
        metadata["route_tables"] = sorted(extra.get("route_tables", []))
        gateways = sorted(extra.get("internet_gateways", []))
        metadata["internet_gateway"] = gateways[0] if gateways else None
    return Discovered(
        kind="network", external_id=raw["VpcId"], name=display_name(tags, raw["VpcId"]),
        status=network_status(raw.get("State")), region=region, metadata=metadata, tags=tags,
    )


def subnet(raw: dict[str, Any], region: str) -> Discovered:
    tags = tag_dict(raw.get("Tags"))
    metadata = {
        "cidr_block": raw.get("CidrBlock"),
        "vpc_id": raw.get("VpcId"),
        "availability_zone": raw.get("AvailabilityZone"),
        "available_ip_address_count": raw.get("AvailableIpAddressCount"),
        "map_public_ip_on_launch": bool(raw.get("MapPublicIpOnLaunch")),
        "default_for_az": bool(raw.get("DefaultForAz")),
        "tags": tags,
    }
    return Discovered(
        kind="subnet", external_id=raw["SubnetId"], name=display_name(tags, raw["SubnetId"]),
        status=network_status(raw.get("State")), region=region, metadata=metadata, tags=tags,
    )


def volume(raw: dict[str, Any], region: str) -> Discovered:
    tags = tag_dict(raw.get("Tags"))
    size, volume_type = raw.get("Size"), raw.get("VolumeType")
    cost = _hourly(pricing.volume_hourly("aws", volume_type, size))
    metadata = {
        "size_gb": size,
        "volume_type": volume_type,
        "iops": raw.get("Iops"),
        "encrypted": bool(raw.get("Encrypted")),
        "availability_zone": raw.get("AvailabilityZone"),
        "snapshot_id": raw.get("SnapshotId") or None,
        "attached_instances": [a["InstanceId"] for a in raw.get("Attachments", []) if a.get("InstanceId")],
        "create_time": iso(raw.get("CreateTime")),
        "cost_per_hour": cost,
        "tags": tags,
    }
    return Discovered(
        kind="volume", external_id=raw["VolumeId"], name=display_name(tags, raw["VolumeId"]),
        status=volume_status(raw.get("State")), region=region, metadata=metadata, tags=tags,
        cost_per_hour=cost, created_at=utc(raw.get("CreateTime")),
    )


# -- listing -----------------------------------------------------------------------
def instance_pages(client, region: str, page_size: int) -> Iterator[list[Discovered]]:
    """MaxResults bounds instances per response on AWS; a backend that pages by reservation
    (moto) may return more, so responses are cut again to ``page_size``."""
    paginator = client.get_paginator("describe_instances")
    for response in paginator.paginate(PaginationConfig={"PageSize": max(5, min(page_size, 1000))}):
        found = (
            instance(raw, region)
            for reservation in response.get("Reservations", [])
            for raw in reservation.get("Instances", [])
        )
        yield from chunks(found, page_size)


def vpc_pages(client, region: str, page_size: int) -> Iterator[list[Discovered]]:
    size = max(5, min(page_size, FILTER_VALUES))  # the page's ids go into one filter below
    paginator = client.get_paginator("describe_vpcs")
    for response in paginator.paginate(PaginationConfig={"PageSize": size}):
        for raws in chunks(response.get("Vpcs", []), size):
            related = _vpc_related(client, [r["VpcId"] for r in raws])
            yield [vpc(r, region, related) for r in raws]


def _vpc_related(client, vpc_ids: list[str]) -> dict[str, dict[str, list[str]]]:
    """Subnets, route tables and internet gateways of a page of VPCs (three calls a page)."""
    related: dict[str, dict[str, list[str]]] = {v: {} for v in vpc_ids}

    def add(vpc_id: str | None, key: str, value: str) -> None:
        if vpc_id in related:
            related[vpc_id].setdefault(key, []).append(value)

    by_vpc = [{"Name": "vpc-id", "Values": vpc_ids}]
    for page in client.get_paginator("describe_subnets").paginate(Filters=by_vpc):
        for s in page.get("Subnets", []):
            add(s.get("VpcId"), "subnets", s["SubnetId"])
    for page in client.get_paginator("describe_route_tables").paginate(Filters=by_vpc):
        for t in page.get("RouteTables", []):
            add(t.get("VpcId"), "route_tables", t["RouteTableId"])
    by_attachment = [{"Name": "attachment.vpc-id", "Values": vpc_ids}]
    for page in client.get_paginator("describe_internet_gateways").paginate(Filters=by_attachment):
        for g in page.get("InternetGateways", []):
            for attachment in g.get("Attachments", []):
                add(attachment.get("VpcId"), "internet_gateways", g["InternetGatewayId"])
    return related


def subnet_pages(client, region: str, page_size: int) -> Iterator[list[Discovered]]:
    paginator = client.get_paginator("describe_subnets")
    for response in paginator.paginate(PaginationConfig={"PageSize": max(5, min(page_size, 1000))}):
        yield from chunks((subnet(r, region) for r in response.get("Subnets", [])), page_size)


def volume_pages(client, region: str, page_size: int) -> Iterator[list[Discovered]]:
    paginator = client.get_paginator("describe_volumes")
    for response in paginator.paginate(PaginationConfig={"PageSize": max(5, min(page_size, 500))}):
        yield from chunks((volume(r, region) for r in response.get("Volumes", [])), page_size)


# -- single lookups (None when absent) -------------------------------------------------
def describe_instance(client, instance_id: str) -> dict[str, Any] | None:
    response = client.describe_instances(InstanceIds=[instance_id])
    for reservation in response.get("Reservations", []):
        for raw in reservation.get("Instances", []):
            if raw.get("InstanceId") == instance_id:
                return raw
    return None


def get_vpc(client, region: str, vpc_id: str) -> Discovered | None:
    found = client.describe_vpcs(VpcIds=[vpc_id]).get("Vpcs", [])
    return vpc(found[0], region, _vpc_related(client, [vpc_id])) if found else None


def get_subnet(client, region: str, subnet_id: str) -> Discovered | None:
    found = client.describe_subnets(SubnetIds=[subnet_id]).get("Subnets", [])
    return subnet(found[0], region) if found else None


def get_volume(client, region: str, volume_id: str) -> Discovered | None:
    found = client.describe_volumes(VolumeIds=[volume_id]).get("Volumes", [])
    return volume(found[0], region) if found else None
