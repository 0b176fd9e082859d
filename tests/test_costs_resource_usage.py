"""`/cost/resource-usage` from the metric history: hours with samples, CPU and memory as
averages over the period, and disk bytes moved, for machines the history has samples for
(`source: history`); the latest inventory reading for the others (`source: latest`). Samples
outside the period do not count; another member sees none of it."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from conftest import assert_error
from metrics_support import MB, ingest, machine, reading

DAY = datetime.now(UTC).date() - timedelta(days=10)


def at(hour: int, minute: int, day=DAY) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


def usage_of(account, **params) -> dict:
    r = account.client.get("/cost/resource-usage", headers=account.headers, params=params)
    assert r.status_code == 200, r.text
    return {m["id"]: m for m in r.json()["machines"]}


def test_resource_usage_averages_the_history_over_the_period(client, member, make_account):
    sampled, _ = machine(member, "sampled")
    quiet, _ = machine(member, "quiet")
    ingest(client, [reading(sampled, at(10, 5), 20.0, mem=100 * MB, disk=(0, 0)),
                    reading(sampled, at(10, 20), 40.0, mem=300 * MB, disk=(1 * MB, 2 * MB)),
                    reading(sampled, at(13, 10), 60.0, mem=200 * MB, disk=(3 * MB, 4 * MB)),
                    # the day after the period: not counted
                    reading(sampled, at(9, 0, DAY + timedelta(days=1)), 99.0, mem=900 * MB, disk=(90 * MB, 90 * MB))])
    period = {"start_date": str(DAY - timedelta(days=1)), "end_date": str(DAY)}
    rows = usage_of(member, **period)
    row = rows[sampled]
    assert row["source"] == "history"
    assert row["hours"] == 2  # the clock hours 10:00 and 13:00 have samples
    assert row["cpuPercent"] == 40.0  # (20 + 40 + 60) / 3
    assert row["memoryMb"] == 200.0  # (100 + 300 + 200) / 3
    assert (row["diskReadMb"], row["diskWriteMb"]) == (3.0, 4.0)  # counter deltas inside the period
    assert rows[quiet]["source"] == "latest" and rows[quiet]["hours"] == 0 and rows[quiet]["diskReadMb"] is None

    later = usage_of(member, start_date=str(DAY + timedelta(days=1)), end_date=str(DAY + timedelta(days=1)))[sampled]
    assert (later["source"], later["hours"], later["cpuPercent"], later["memoryMb"]) == ("history", 1, 99.0, 900.0)
    outside = usage_of(member, start_date=str(DAY - timedelta(days=5)), end_date=str(DAY - timedelta(days=1)))
    assert outside[sampled]["source"] == "latest"

    other = make_account()
    assert sampled not in usage_of(other, **period)
    assert_error(client.get("/cost/resource-usage", headers=member.headers,
                            params={"start_date": str(DAY), "end_date": str(DAY - timedelta(days=1))}), 400, "BAD_REQUEST")
    assert_error(client.get("/cost/resource-usage", headers=member.headers, params={"start_date": "soon"}), 400,
                 "BAD_REQUEST")
