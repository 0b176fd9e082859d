"""AWS instances are sampled from CloudWatch (`GetMetricData`) on a real moto server: CPU
average, network and disk sums as bytes/s; the same period read again stores nothing new."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import boto3
import pytest
from sqlalchemy import update

from cloudfold.db.models import MetricSource
from cloudfold.domain.metrics import sampler
from inventory_support import find, register, sync
from moto_server import moto, moto_url  # noqa: F401  (fixtures)

pytestmark = pytest.mark.database

CREDS = {"access_key": "AKIAIOSFODNN7EXAMPLE", "secret_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}


def _sample(client) -> dict:
    rt = client.app.state.runtime
    with rt.sessions() as session:
        session.execute(update(MetricSource).values(next_due_at=datetime.now(timezone.utc)))
        session.commit()
        return sampler.sample_due(session, rt)


def test_instances_are_sampled_from_cloudwatch(client, admin, moto):
    kw = dict(endpoint_url=moto, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y")
    ec2, cw = boto3.client("ec2", **kw), boto3.client("cloudwatch", **kw)
    ami = ec2.describe_images()["Images"][0]["ImageId"]
    name = f"cw-{datetime.now().timestamp():.0f}"
    iid = ec2.run_instances(ImageId=ami, MinCount=1, MaxCount=1, InstanceType="t3.micro", TagSpecifications=[
        {"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": name}]}])["Instances"][0]["InstanceId"]
    at = datetime.now(timezone.utc) - timedelta(minutes=2)
    dims = [{"Name": "InstanceId", "Value": iid}]
    cw.put_metric_data(Namespace="AWS/EC2", MetricData=[
        {"MetricName": "CPUUtilization", "Dimensions": dims, "Timestamp": at, "Value": 55.0, "Unit": "Percent"},
        {"MetricName": "NetworkIn", "Dimensions": dims, "Timestamp": at, "Value": 300_000.0, "Unit": "Bytes"},
        {"MetricName": "DiskWriteBytes", "Dimensions": dims, "Timestamp": at, "Value": 60_000.0, "Unit": "Bytes"}])

    register(admin, "aws", "aws-cw", {"endpoint_url": moto, "regions": ["us-east-1"]}, CREDS, region="us-east-1")
    sync(admin, "aws-cw")
    vmid = int(find(admin, "aws-cw", name, kind="vm")["id"]) + 99
    done = _sample(client)
    assert done["failed"] == 0 and done["samples"] >= 1
    assert _sample(client)["failed"] == 0  # the same period again: nothing new, no error

    r = client.get(f"/api/analytics/{vmid}/summary", headers=admin.headers)
    assert r.status_code == 200, r.text
    s = r.json()
    assert s["cpu"]["current"] == 55.0 and s["memory"]["current"] is None
    assert s["network"]["in_rate"] == 1000.0 and s["disk"]["write_rate"] == 200.0
    cpu = client.get(f"/api/analytics/{vmid}/cpu", headers=admin.headers).json()
    assert cpu["data_points"] == 1 and cpu["average"] == 55.0
