"""Isolation of a member's own cloud account (AWS on a real moto server): the account, its
credentials and every record synced from it are the member's; a second member cannot list,
read, change, delete, sync, act on or hear of them."""

from __future__ import annotations

import json

import boto3

from conftest import assert_error
from inventory_support import register, sync
from isolation_support import call
from moto_server import moto, moto_url  # noqa: F401  (fixtures)
import pytest

pytestmark = pytest.mark.database  # also run on PostgreSQL in CI

CREDS = {"access_key": "AKIAIOSFODNN7EXAMPLE", "secret_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}


def _instance(url: str) -> str:
    ec2 = boto3.client("ec2", endpoint_url=url, region_name="us-east-1", aws_access_key_id="x",
                       aws_secret_access_key="y")
    ami = ec2.describe_images()["Images"][0]["ImageId"]
    made = ec2.run_instances(ImageId=ami, MinCount=1, MaxCount=1, InstanceType="t3.micro",
                             TagSpecifications=[{"ResourceType": "instance",
                                                 "Tags": [{"Key": "Name", "Value": "alice-aws-box"}]}])
    return made["Instances"][0]["InstanceId"]


def test_a_members_synced_cloud_account_is_theirs_alone(make_client, make_account, moto):
    # the operator allow-lists loopback so a member may reach this test's moto server
    client = make_client(egress_allow=["127.0.0.0/8"])
    alice, bob = make_account(client_=client), make_account(client_=client)
    instance_id = _instance(moto)
    register(alice, "aws", "alice-aws", {"endpoint_url": moto, "regions": ["us-east-1"]}, CREDS, region="us-east-1")
    sync(alice, "alice-aws")
    rows = call(alice, "get", "/api/resources?provider_id=alice-aws&limit=1000").json()
    [vm] = [r for r in rows if r["external_id"] == instance_id]
    account_id = next(a["id"] for a in call(alice, "get", "/credentials/").json() if a["name"] == "aws test")
    secrets = ["alice-aws", "alice-aws-box", instance_id, moto]

    refusals = [
        ("get", "/api/providers/alice-aws", None), ("put", "/api/providers/alice-aws", {"display_name": "x"}),
        ("delete", "/api/providers/alice-aws", None), ("delete", f"/credentials/{account_id}", None),
        ("post", "/api/resources/sync/alice-aws", None), ("get", "/api/resources?provider_id=alice-aws", None),
        ("get", f"/api/resources/{vm['id']}", None), ("put", f"/api/resources/{vm['id']}", {"tags": {"b": "c"}}),
        ("delete", f"/api/resources/{vm['id']}", None),
        ("post", f"/api/resources/{vm['id']}/action", {"action": "stop"}),
        ("get", f"/inventory/{vm['id']}", None), ("get", f"/vms/{vm['id']}/status", None),
        ("get", f"/vms/{instance_id}/status", None),
    ]
    for method, path, body in refusals:
        r = call(bob, method, path, body)
        assert_error(r, 404, "NOT_FOUND")
        assert [s for s in secrets if s in r.text and s not in path] == [], (path, r.text)
    for path in ("/api/providers", "/credentials/", "/api/resources?limit=1000", "/inventory/vms?limit=1000",
                 "/dashboard/stats", "/topology/vms", "/monitor/audit"):
        text = call(bob, "get", path).text
        assert [s for s in secrets if s in text] == [], path

    # bob hears nothing of alice's account; alice hears her own change
    with client.websocket_connect("/ws", subprotocols=["cloudfold.bearer", bob.key]) as bob_ws, \
            client.websocket_connect("/ws", subprotocols=["cloudfold.bearer", alice.key]) as alice_ws:
        assert call(alice, "put", f"/api/resources/{vm['id']}", {"tags": {"team": "a"}}).status_code == 200
        assert json.loads(alice_ws.receive_text())["resource_id"] == str(vm["id"])
        bob_ws.send_text("ping")
        assert json.loads(bob_ws.receive_text()) == {"type": "pong"}  # the event went by, not to bob

    # alice keeps her rights on what she synced (stopping needs the admin scope the AWS driver declares)
    r = call(alice, "post", f"/api/resources/{vm['id']}/action", {"action": "health_check"})
    assert r.status_code == 200 and r.json()["status"] == "running", r.text
    assert call(alice, "delete", f"/api/resources/{vm['id']}").status_code == 204


FIGURES = ("total_resources", "active_vms", "total_storage", "total_networks", "estimated_monthly_cost",
           "provider_breakdown", "cost_by_provider", "cost_by_service", "region_distribution", "recent_activity")


def _figures(account) -> dict:
    r = call(account, "get", "/dashboard/stats")
    assert r.status_code == 200, r.text
    return {k: r.json()[k] for k in FIGURES}


def _track(account, name: str, kind: str, cost: float, region: str) -> dict:
    r = call(account, "post", "/api/resources", {"name": name, "resource_type": kind, "status": "running",
                                                 "cost_per_hour": cost, "region": region})
    assert r.status_code == 201, r.text
    return r.json()


def test_dashboard_figures_count_nothing_of_another_member(client, member, make_account):
    alice, bob = member, make_account()
    _track(bob, "bob-vm", "vm", 1.0, "bob-region")
    before = _figures(bob)
    assert before["total_resources"] == 1 and before["estimated_monthly_cost"] > 0
    _track(alice, "alice-vm", "vm", 5.0, "alice-region")
    _track(alice, "alice-disk", "volume", 3.0, "alice-region")
    assert _figures(bob) == before
    mine = _figures(alice)
    assert mine["total_resources"] == 2 and mine["estimated_monthly_cost"] > before["estimated_monthly_cost"]
