"""An AWS account backed by a real moto server, through every face: registration with
curl-shaped bodies, sync, inventory, dashboard, and one action path behind /vms and
/api/resources/{id}/action; provider faults leave the inventory intact."""

from __future__ import annotations

import json

import boto3

from conftest import assert_error
from inventory_support import register, sync
from moto_server import moto, moto_url  # noqa: F401  (fixtures)
import pytest

pytestmark = pytest.mark.database  # also run on PostgreSQL in CI

CREDS = {"access_key": "AKIAIOSFODNN7EXAMPLE", "secret_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}


def _populate(url: str) -> dict:
    kw = dict(endpoint_url=url, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y")
    ec2, s3, r53 = boto3.client("ec2", **kw), boto3.client("s3", **kw), boto3.client("route53", **kw)
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.1.0/24")["Subnet"]["SubnetId"]
    ami = ec2.describe_images()["Images"][0]["ImageId"]
    inst = ec2.run_instances(ImageId=ami, MinCount=2, MaxCount=2, InstanceType="t3.medium", SubnetId=subnet,
                             TagSpecifications=[{"ResourceType": "instance",
                                                 "Tags": [{"Key": "Name", "Value": "web-server-01"}]}])
    vol = ec2.create_volume(Size=10, AvailabilityZone="us-east-1a")["VolumeId"]
    s3.create_bucket(Bucket="my-bucket-prod")
    zone = r53.create_hosted_zone(Name="example.com", CallerReference="1")["HostedZone"]["Id"]
    return {"vpc": vpc, "subnet": subnet, "instances": [i["InstanceId"] for i in inst["Instances"]],
            "volume": vol, "zone": zone.split("/")[-1], "ec2": ec2}


def _aws(admin, moto) -> None:
    register(admin, "aws", "aws-moto", {"endpoint_url": moto, "regions": ["us-east-1"]}, CREDS, region="us-east-1")


def test_aws_objects_show_through_every_face(client, admin, moto):
    made = _populate(moto)
    _aws(admin, moto)
    result = sync(admin, "aws-moto")["result"]
    assert result["created"] >= 7
    h = admin.headers
    vm = client.get("/inventory/vms", params={"provider": "aws", "region": "us-east-1"}, headers=h)
    assert vm.headers["X-Total-Count"] == "2"
    item = vm.json()[0]
    assert item["resource_id"] in made["instances"] and item["resource_name"] == "web-server-01"
    assert item["metadata"]["instance_type"] == "t3.medium" and item["metadata"]["subnet_id"] == made["subnet"]
    assert item["metadata"]["cost_per_hour"] > 0
    nets = {n["resource_id"] for n in client.get("/inventory/networks", headers=h).json()}
    assert {made["vpc"], made["subnet"]} <= nets
    storage = {s["resource_name"] for s in client.get("/inventory/storage", headers=h).json()}
    assert {"my-bucket-prod", made["volume"]} <= storage
    zones = client.get("/api/resources", params={"resource_type": "dns_zone"}, headers=h).json()
    assert [z["external_id"] for z in zones] == [made["zone"]]
    stats = client.get("/dashboard/stats", headers=h).json()
    assert stats["active_vms"] == 2 and stats["estimated_monthly_cost"] > 0
    assert any(c["provider"] == "aws" and c["cost"] > 0 for c in stats["cost_by_provider"])
    assert any(r["region"] == "us-east-1" for r in stats["region_distribution"])


def test_instance_stop_and_start_through_both_faces(client, admin, moto):
    made = _populate(moto)
    _aws(admin, moto)
    sync(admin, "aws-moto")
    instance = made["instances"][0]
    with client.websocket_connect("/ws", headers={"X-API-Key": admin.key}) as ws:
        r = client.post(f"/vms/{instance}/stop", headers=admin.headers)  # by EC2 instance id
        assert r.status_code == 200 and r.json()["status"] in ("stopped", "stopping"), r.text
        event = json.loads(ws.receive_text())
        assert event["type"] == "resource_change" and event["action"] == "stop" and event["provider_id"] == "aws-moto"
    state = made["ec2"].describe_instances(InstanceIds=[instance])["Reservations"][0]["Instances"][0]["State"]["Name"]
    assert state == "stopped"
    rec = client.get("/inventory/vms", params={"status": r.json()["status"]}, headers=admin.headers).json()
    rid = next(x["id"] for x in rec if x["resource_id"] == instance)
    r = client.post(f"/api/resources/{rid}/action", json={"action": "start"}, headers=admin.headers)
    assert r.status_code == 200 and r.json()["status"] == "running", r.text
    assert_error(client.post(f"/vms/{rid}/start", headers=admin.headers), 409, "CONFLICT")
    assert client.post(f"/api/resources/{rid}/action", json={"action": "health_check"},
                       headers=admin.headers).json()["status"] == "running"


def test_an_instance_aws_no_longer_knows_is_409_and_inventory_survives(client, admin, moto):
    made = _populate(moto)
    _aws(admin, moto)
    sync(admin, "aws-moto")
    instance = made["instances"][0]
    made["ec2"].terminate_instances(InstanceIds=[instance])
    from moto_server import reset_moto

    reset_moto(moto)  # the instance is now unknown to AWS
    # AWS answers InvalidInstanceID.NotFound: a typed NotFound, answered as the conflict of a
    # machine gone at its provider (domain/driver_errors), naming what was not found
    body = assert_error(client.post(f"/vms/{instance}/stop", headers=admin.headers), 409, "CONFLICT")
    assert instance in body["message"] and "not found" in body["message"]
    assert len(client.get("/inventory/vms", headers=admin.headers).json()) == 2


def test_unreachable_endpoint_is_503_and_sync_fails_cleanly(client, admin, moto):
    _populate(moto)
    _aws(admin, moto)
    sync(admin, "aws-moto")
    client.put("/api/providers/aws-moto", json={"config": {"endpoint_url": "http://127.0.0.1:9", "regions": ["us-east-1"],
                                                         "max_attempts": 1}}, headers=admin.headers)
    failed = sync(admin, "aws-moto", expect="failed")
    assert failed["error"]
    assert client.get("/inventory/vms", headers=admin.headers).headers["X-Total-Count"] == "2"
    rid = client.get("/inventory/vms", headers=admin.headers).json()[0]["id"]
    assert_error(client.post(f"/vms/{rid}/stop", headers=admin.headers), 503, "SERVICE_UNAVAILABLE")
    health = {h["provider_id"]: h for h in client.get("/api/providers/health/check", headers=admin.headers).json()}
    assert health["aws-moto"]["status"] == "unhealthy"


def test_malformed_aws_credentials_are_refused(client, admin, moto):
    r = client.post("/api/providers", json={"id": "bad", "provider_type": "aws", "display_name": "x",
                                            "credentials": {"access_key": "only"}}, headers=admin.headers)
    assert_error(r, 400, "BAD_REQUEST")
    assert_error(client.post("/credentials/", json={"provider": "aws", "name": "n", "access_key": 5, "secret_key": "s"},
                             headers=admin.headers), 400, "BAD_REQUEST")
