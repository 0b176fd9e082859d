"""The price catalogue's data, read by both the domain and the drivers: the one price source.

It ships as package data (`cloudfold/data/prices.json`, with its date and source: instance
type → hourly price per provider and region, EBS per GB-month, the cost model's defaults);
`cloudfold prices refresh` writes a refreshed copy to the data directory, which then wins
(`use_file`). It lives outside `domain/` and `drivers/` because both read it and drivers must
not import the domain: the AWS driver prices what it discovers (`resources.cost_per_hour`)
from it as it maps each object, and `domain/costs/catalogue.py` builds the cost core's lookups
(micros, the cost model, the comparison) on it. A price not in it is unknown (`None`), never 0."""

from __future__ import annotations

import json
from decimal import Decimal
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

HOURS_PER_MONTH = 730
REFRESHED_NAME = "prices.json"  # in the data directory
_refreshed: list[Path] = []  # the refreshed catalogue this process reads, when there is one


@cache
def load(name: str) -> dict[str, Any]:
    return json.loads(resources.files("cloudfold.data").joinpath(name).read_text())


@cache
def _read(path: Path, mtime: float) -> dict[str, Any]:
    return json.loads(path.read_text())


def use_file(path: Path | None) -> None:
    """Read prices from ``path`` when it exists (a refreshed catalogue), else the shipped one."""
    _refreshed[:] = [path] if path is not None else []


def prices() -> dict[str, Any]:
    for path in _refreshed:
        if path.is_file():
            return _read(path, path.stat().st_mtime)
    return load("prices.json")


def free_tier() -> dict[str, Any]:
    return load("free_tier.json")


def hourly(provider: str, instance_type: str | None, region: str | None = None) -> Decimal | None:
    """The hourly price of a size in a region (else the first region listed), or None: unknown."""
    size = prices()["sizes"].get(provider, {}).get(instance_type or "")
    if size is None:
        return None
    by_region = size["hourly"]
    return Decimal(by_region.get(region or "") or next(iter(by_region.values())))


def volume_hourly(provider: str, volume_type: str | None, size_gb: int | None) -> Decimal | None:
    """A volume's hourly price (its GB-month price × size / hours in a month), or None: unknown."""
    rate = prices().get("volumes", {}).get(provider, {}).get(volume_type or "")
    if rate is None or size_gb is None:
        return None
    return Decimal(rate) * size_gb / HOURS_PER_MONTH
