"""The cost core's view of the price catalogue (`cloudfold/pricing.py`, the one price source,
shared with the drivers): hourly prices in micros, the cost model's unit prices per account,
and the comparison of sizes across providers. A price not in the catalogue is unknown (`None`),
never zero."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cloudfold.domain.costs.money import to_micros
from cloudfold.pricing import (
    HOURS_PER_MONTH,
    REFRESHED_NAME,
    free_tier,
    hourly,
    load,
    prices,
    use_file,
)

__all__ = ["HOURS_PER_MONTH", "REFRESHED_NAME", "comparison", "free_tier", "hourly_micros", "load", "model_prices",
           "prices", "use_file"]


def hourly_micros(provider: str, instance_type: str | None, region: str | None = None) -> int | None:
    """The hourly price of a size in a region (else the first region listed), or None: unknown."""
    price = hourly(provider, instance_type, region)
    return None if price is None else to_micros(price)


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
    """For each vCPU/memory shape that two providers or more sell exactly (a comparison needs
    two; the catalogue also holds AWS sizes, such as 0.5 or 3.75 GB ones, that only price the
    inventory), what the cheapest size at least that big costs at each provider."""
    sizes = prices()["sizes"]
    sellers: dict[tuple, set[str]] = {}
    for provider, by in sizes.items():
        for s in by.values():
            sellers.setdefault((s["vcpu"], s["memory_gb"]), set()).add(provider)
    classes = sorted(shape for shape, who in sellers.items() if len(who) >= 2)
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
