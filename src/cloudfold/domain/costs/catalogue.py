"""Prices and free-tier allowances shipped as package data (`cloudfold/data/prices.json`,
`free_tier.json`, each with its date and source): instance type → hourly price per provider
and region, the cost model's default unit prices, and the published free allowances. A price
not in the catalogue is unknown (`None`), never zero. `cloudfold prices refresh` writes a
refreshed catalogue to `prices.json` in the data directory, which then wins (`use_file`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from cloudfold.domain.costs.money import to_micros

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


def hourly_micros(provider: str, instance_type: str | None, region: str | None = None) -> int | None:
    """The hourly price of a size in a region (else the first region listed), or None: unknown."""
    size = prices()["sizes"].get(provider, {}).get(instance_type or "")
    if size is None:
        return None
    by_region = size["hourly"]
    price = by_region.get(region or "") or next(iter(by_region.values()))
    return to_micros(price)


def model_prices(config: dict[str, Any] | None) -> dict[str, int]:
    """The cost model's unit prices (micros) for an account: its config's `prices` over the defaults."""
    defaults = prices()["model_defaults"]
    given = (config or {}).get("prices") or {}
    return {key: to_micros(given.get(key, defaults[key])) for key in ("vcpu_hour", "memory_gb_hour", "disk_gb_month")}


@dataclass(frozen=True)
class Offer:
    provider: str
    instance_type: str
    region: str
    hourly_micros: int


@dataclass(frozen=True)
class SizeClass:
    vcpu: int
    memory_gb: int
    offers: list[Offer]  # the cheapest size of each provider with at least these vCPUs and memory


def comparison() -> list[SizeClass]:
    """For each vCPU/memory size the catalogue knows, what the cheapest size at least that big
    costs at each provider."""
    sizes = prices()["sizes"]
    classes = sorted({(s["vcpu"], s["memory_gb"]) for by in sizes.values() for s in by.values()})
    out = []
    for vcpu, memory in classes:
        offers = []
        for provider, by in sizes.items():
            fits = [(to_micros(next(iter(s["hourly"].values()))), name, next(iter(s["hourly"])))
                    for name, s in by.items() if s["vcpu"] >= vcpu and s["memory_gb"] >= memory]
            if fits:
                price, name, region = min(fits)
                offers.append(Offer(provider, name, region, price))
        out.append(SizeClass(vcpu, memory, offers))
    return out
