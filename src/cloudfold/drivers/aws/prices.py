"""A small built-in price table: AWS on-demand list prices (USD, us-east-1, Linux).

Approximate on purpose: enough for inventory cost estimates, not for billing. Unknown
instance types are priced ``None``.
"""

from __future__ import annotations

HOURS_PER_MONTH = 730

_FAMILIES: dict[str, dict[str, float]] = {
    "t2": {"nano": 0.0058, "micro": 0.0116, "small": 0.023, "medium": 0.0464, "large": 0.0928,
           "xlarge": 0.1856, "2xlarge": 0.3712},
    "t3": {"nano": 0.0052, "micro": 0.0104, "small": 0.0208, "medium": 0.0416, "large": 0.0832,
           "xlarge": 0.1664, "2xlarge": 0.3328},
    "t3a": {"nano": 0.0047, "micro": 0.0094, "small": 0.0188, "medium": 0.0376, "large": 0.0752,
            "xlarge": 0.1504, "2xlarge": 0.3008},
    "t4g": {"nano": 0.0042, "micro": 0.0084, "small": 0.0168, "medium": 0.0336, "large": 0.0672,
            "xlarge": 0.1344, "2xlarge": 0.2688},
    "m5": {"large": 0.096, "xlarge": 0.192, "2xlarge": 0.384, "4xlarge": 0.768, "8xlarge": 1.536,
           "12xlarge": 2.304, "16xlarge": 3.072, "24xlarge": 4.608},
    "m6i": {"large": 0.096, "xlarge": 0.192, "2xlarge": 0.384, "4xlarge": 0.768, "8xlarge": 1.536},
    "m6g": {"medium": 0.0385, "large": 0.077, "xlarge": 0.154, "2xlarge": 0.308, "4xlarge": 0.616},
    "m7i": {"large": 0.1008, "xlarge": 0.2016, "2xlarge": 0.4032, "4xlarge": 0.8064},
    "c5": {"large": 0.085, "xlarge": 0.17, "2xlarge": 0.34, "4xlarge": 0.68, "9xlarge": 1.53},
    "c6i": {"large": 0.085, "xlarge": 0.17, "2xlarge": 0.34, "4xlarge": 0.68, "8xlarge": 1.36},
    "r5": {"large": 0.126, "xlarge": 0.252, "2xlarge": 0.504, "4xlarge": 1.008, "8xlarge": 2.016},
    "r6i": {"large": 0.126, "xlarge": 0.252, "2xlarge": 0.504, "4xlarge": 1.008},
    "m4": {"large": 0.10, "xlarge": 0.20, "2xlarge": 0.40},
    "c4": {"large": 0.10, "xlarge": 0.199, "2xlarge": 0.398},
    "m3": {"medium": 0.067, "large": 0.133},
    "m1": {"small": 0.044, "medium": 0.087, "large": 0.175},
    "t1": {"micro": 0.02},
}

INSTANCE_PRICES: dict[str, float] = {
    f"{family}.{size}": price for family, sizes in _FAMILIES.items() for size, price in sizes.items()
}

# EBS, USD per GB-month
VOLUME_GB_MONTH: dict[str, float] = {
    "gp3": 0.08, "gp2": 0.10, "io1": 0.125, "io2": 0.125, "st1": 0.045, "sc1": 0.015, "standard": 0.05,
}

# instance states in which compute is billed
BILLED_STATES = {"pending", "running", "stopping"}


def instance_price(instance_type: str | None) -> float | None:
    return INSTANCE_PRICES.get(instance_type or "")


def instance_cost(instance_type: str | None, status: str) -> float | None:
    """Hourly cost now: the list price while billed, 0.0 when stopped, None when unknown."""
    price = instance_price(instance_type)
    if price is None:
        return None
    return price if status in BILLED_STATES else 0.0


def volume_cost(volume_type: str | None, size_gb: int | None) -> float | None:
    rate = VOLUME_GB_MONTH.get(volume_type or "")
    if rate is None or size_gb is None:
        return None
    return round(rate * size_gb / HOURS_PER_MONTH, 6)
