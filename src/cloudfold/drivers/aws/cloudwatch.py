"""EC2 instances' latest figures from CloudWatch (`GetMetricData`, namespace AWS/EC2).

CPUUtilization is the Average over the period (percent of the instance's vCPUs); NetworkIn/Out
and DiskReadBytes/WriteBytes are Sums over the period, turned into bytes/s. EC2 has no memory
figure without the CloudWatch agent: memory stays null. The reading's time is the newest
period's start, so reading the same period again stores nothing new.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from cloudfold.drivers.aws.common import chunks, utc

PERIOD = 300  # basic monitoring: one figure per instance and metric every 5 minutes
LOOKBACK = 3 * PERIOD
METRICS = (("CPUUtilization", "Average", "cpu_percent"), ("NetworkIn", "Sum", "net_in_rate"),
           ("NetworkOut", "Sum", "net_out_rate"), ("DiskReadBytes", "Sum", "disk_read_rate"),
           ("DiskWriteBytes", "Sum", "disk_write_rate"))
PER_CALL = 500 // len(METRICS)  # GetMetricData takes 500 queries per call


def _queries(instance_ids: list[str]) -> list[dict[str, Any]]:
    return [{"Id": f"m{i}_{j}", "ReturnData": True,
             "MetricStat": {"Metric": {"Namespace": "AWS/EC2", "MetricName": name,
                                       "Dimensions": [{"Name": "InstanceId", "Value": iid}]},
                            "Period": PERIOD, "Stat": stat}}
            for i, iid in enumerate(instance_ids) for j, (name, stat, _) in enumerate(METRICS)]


def latest(client, instance_ids: Sequence[str], now: datetime | None = None) -> dict[str, dict[str, Any]]:
    """The newest figures of each instance that has some, as metric readings (rates, `span`)."""
    now = now or datetime.now(timezone.utc)
    found: dict[str, dict[str, Any]] = {}
    for chunk in chunks(instance_ids, PER_CALL):
        pages = client.get_paginator("get_metric_data").paginate(
            MetricDataQueries=_queries(chunk), StartTime=now - timedelta(seconds=LOOKBACK), EndTime=now,
            ScanBy="TimestampDescending")
        for page in pages:
            for result in page.get("MetricDataResults") or []:
                if not result.get("Values"):
                    continue
                i, j = (int(x) for x in result["Id"][1:].split("_"))
                _, stat, field = METRICS[j]
                reading = found.setdefault(chunk[i], {"span": PERIOD})
                value = float(result["Values"][0])
                reading[field] = value if stat == "Average" else value / PERIOD
                stamp = utc(result["Timestamps"][0])
                reading["time"] = max(reading.get("time") or stamp, stamp)
    return found
