"""The price catalogue: the shipped data with its date and source, a refreshed catalogue in the
data directory winning over it, unknown sizes unpriced (never zero), and `prices refresh`
against an AWS endpoint without a Price List API (moto's server has none) failing cleanly with
nothing written. The Price List document's shape is parsed as AWS documents it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers_api import db
from inventory_support import register
from moto_server import moto, moto_url  # noqa: F401  (fixtures)

from cloudfold.domain.costs import catalogue, refresh
from cloudfold.drivers.aws import ec2
from cloudfold.drivers.aws.pricing import on_demand_hourly
from cloudfold.drivers.base import DriverError

CREDS = {"access_key": "AKIAIOSFODNN7EXAMPLE", "secret_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}


def test_the_shipped_catalogue_has_a_date_a_source_and_no_silent_zero():
    data = catalogue.prices()
    assert data["as_of"] and data["source"] and data["currency"] == "USD"
    assert catalogue.hourly_micros("aws", "t3.micro", "us-east-1") == 10_400
    assert catalogue.hourly_micros("aws", "t3.micro", "ap-south-1") == 10_400  # another region: the first listed
    assert catalogue.hourly_micros("aws", "x9.huge") is None
    assert catalogue.hourly_micros("nowhere", "t3.micro") is None
    assert catalogue.free_tier()["as_of"]


def test_the_price_list_document_is_read_as_aws_shapes_it():
    product = {"product": {"attributes": {"instanceType": "t3.micro"}}, "terms": {"OnDemand": {"X.JRTCKXETXF": {
        "priceDimensions": {"X.JRTCKXETXF.6YS6EN2CT7": {"unit": "Hrs", "pricePerUnit": {"USD": "0.0104000000"}}}}}}}
    assert on_demand_hourly(product) == "0.0104000000"
    assert on_demand_hourly({"terms": {}}) is None


def test_a_refreshed_catalogue_wins_over_the_shipped_one(client, member, tmp_path):
    data = json.loads(json.dumps(catalogue.prices()))
    data["sizes"]["aws"]["t3.medium"]["hourly"]["us-east-1"] = "0.001"
    data["as_of"] = "2030-01-01"
    path = tmp_path / "prices.json"
    path.write_text(json.dumps(data))
    catalogue.use_file(path)
    try:
        body = client.get("/cost/comparison", headers=member.headers).json()
        assert body["asOf"] == "2030-01-01"
        size = next(s for s in body["sizes"] if (s["vcpu"], s["memoryGb"]) == (2, 4))
        aws = next(o for o in size["offers"] if o["provider"] == "aws")
        assert (aws["instanceType"], aws["hourly"]) == ("t3.medium", 0.001)
    finally:
        catalogue.use_file(None)
    assert catalogue.prices()["as_of"] != "2030-01-01"


def test_refresh_against_an_endpoint_without_a_price_list_writes_nothing(client, admin, moto, tmp_path):
    register(admin, "aws", "aws-prices", {"endpoint_url": moto, "regions": ["us-east-1"], "max_attempts": 1},
             CREDS, region="us-east-1")
    rt = client.app.state.runtime
    out = tmp_path / "prices.json"
    with db(client) as session, pytest.raises(DriverError, match="AWS GetProducts"):
        refresh.refresh_aws(session, rt.secretbox, rt.settings, "aws-prices", out)
    assert not out.exists()
    assert not (Path(rt.settings.data_dir) / catalogue.REFRESHED_NAME).exists()


def test_the_aws_driver_prices_from_the_one_catalogue(tmp_path):
    def cost(instance_type, region, state="running"):
        return ec2.instance({"InstanceId": "i-1", "InstanceType": instance_type, "State": {"Name": state}},
                            region).cost_per_hour
    assert cost("t3.micro", "us-east-1") == 0.0104 and cost("t3.micro", "eu-west-1") == 0.0114  # per region
    assert cost("m5.24xlarge", "us-east-1") == 4.608 and cost("x9.huge", "us-east-1") is None
    assert cost("t3.micro", "us-east-1", "stopped") == 0.0
    data = json.loads(json.dumps(catalogue.prices()))
    data["sizes"]["aws"]["t3.micro"]["hourly"]["us-east-1"] = "0.5"
    data["volumes"]["aws"]["gp3"] = "7.3"
    path = tmp_path / "prices.json"
    path.write_text(json.dumps(data))
    catalogue.use_file(path)
    try:  # a refreshed catalogue prices the inventory too: there is no second table
        assert cost("t3.micro", "us-east-1") == 0.5 == catalogue.hourly_micros("aws", "t3.micro") / 1e6
        assert ec2.volume({"VolumeId": "vol-1", "Size": 10, "VolumeType": "gp3"}, "us-east-1").cost_per_hour == 0.1
    finally:
        catalogue.use_file(None)
