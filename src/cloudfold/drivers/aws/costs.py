"""Cost Explorer `GetCostAndUsage`: daily UnblendedCost and UsageQuantity grouped by SERVICE,
all pages (NextPageToken). Amounts stay decimal text, as AWS sends them."""

from __future__ import annotations

from datetime import date

from cloudfold.drivers.base import CostLine

METRICS = ["UnblendedCost", "UsageQuantity"]


def _line(day: date, keys: list[str], metrics: dict) -> CostLine | None:
    cost = metrics.get("UnblendedCost") or {}
    if cost.get("Amount") is None:
        return None
    usage = metrics.get("UsageQuantity") or {}
    quantity = usage.get("Amount")
    return CostLine(day=day, service=(keys or ["Total"])[0][:128], amount=str(cost["Amount"]),
                    currency=str(cost.get("Unit") or "USD"), usage=float(quantity) if quantity is not None else None,
                    unit=usage.get("Unit"))


def daily(client, start: date, end: date) -> list[CostLine]:
    """Every day of ``start``..``end`` (exclusive, as Cost Explorer's TimePeriod) by service."""
    lines: list[CostLine] = []
    token = None
    while True:
        kwargs = {"TimePeriod": {"Start": start.isoformat(), "End": end.isoformat()}, "Granularity": "DAILY",
                  "Metrics": METRICS, "GroupBy": [{"Type": "DIMENSION", "Key": "SERVICE"}]}
        if token:
            kwargs["NextPageToken"] = token
        page = client.get_cost_and_usage(**kwargs)
        for period in page.get("ResultsByTime") or []:
            day = date.fromisoformat(period["TimePeriod"]["Start"])
            for group in period.get("Groups") or []:
                line = _line(day, group.get("Keys") or [], group.get("Metrics") or {})
                if line is not None:
                    lines.append(line)
        token = page.get("NextPageToken")
        if not token:
            return lines
