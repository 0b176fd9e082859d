"""The AWS Price List API (`pricing` GetProducts, served from us-east-1): the on-demand hourly
USD price of Linux, shared-tenancy EC2 instance types in a region. Prices stay decimal text."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

PRICING_REGION = "us-east-1"
FIXED = {"operatingSystem": "Linux", "tenancy": "Shared", "preInstalledSw": "NA", "capacitystatus": "Used"}


def on_demand_hourly(product: dict[str, Any]) -> str | None:
    """The hourly USD price in one PriceList product document, or None."""
    for term in ((product.get("terms") or {}).get("OnDemand") or {}).values():
        for dim in (term.get("priceDimensions") or {}).values():
            usd = (dim.get("pricePerUnit") or {}).get("USD")
            if dim.get("unit") in ("Hrs", "Hours") and usd is not None:
                return str(usd)
    return None


def hourly_prices(client, instance_types: Iterable[str], region: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for instance_type in instance_types:
        filters = [{"Type": "TERM_MATCH", "Field": k, "Value": v}
                   for k, v in {**FIXED, "instanceType": instance_type, "regionCode": region}.items()]
        for page in client.get_paginator("get_products").paginate(ServiceCode="AmazonEC2", Filters=filters,
                                                                   FormatVersion="aws_v1"):
            for item in page.get("PriceList") or []:
                price = on_demand_hourly(json.loads(item) if isinstance(item, str) else item)
                if price is not None:
                    found[instance_type] = price
                    break
            if instance_type in found:
                break
    return found
