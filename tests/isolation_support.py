"""The cross-user isolation suite's world and tables (tests/test_isolation_*.py).

A member (alice) owns one of every kind of object cloudfold makes; the shared `local` account
(registered at start, owned by no one) holds a container made outside cloudfold. A second
member (bob) then tries every face against them. Every later capability adds its objects to
`alices_world` and its paths to the tables below:

- OWN: paths naming one of alice's objects: bob gets 404 (403 where the route needs a scope
  members lack), and nothing of alice's is in the answer;
- SHARED: paths naming the shared account's record: bob may read, never change (403);
- LISTS: paths that list or sum: bob's answer names nothing of alice's.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from caches_support import build_redis_image
from engine import IMAGE
from inventory_support import sync, wait_task
from lb_support import free_block, stop_proxy
from localcloud_support import make, vpc_with_subnet

NOT_YOURS = (404,)
NEEDS_ADMIN = (403, 404)  # machine control needing the admin scope (seed 000/004) is refused before ownership

# (method, path, body, statuses bob may get)
OWN = [
    ("get", "/api/resources/{rid}", None, NOT_YOURS),
    ("put", "/api/resources/{rid}", {"tags": {"x": "bob"}}, NOT_YOURS),
    ("delete", "/api/resources/{rid}", None, NOT_YOURS),
    ("post", "/api/resources/{rid}/action", {"action": "stop"}, NOT_YOURS),
    ("post", "/api/resources/{rid}/action", {"action": "health_check"}, NOT_YOURS),
    ("get", "/api/resources/{rid}/logs", None, NOT_YOURS),
    ("get", "/api/resources/{manual}", None, NOT_YOURS),
    ("put", "/api/resources/{manual}", {"name": "bob-was-here"}, NOT_YOURS),
    ("delete", "/api/resources/{manual}", None, NOT_YOURS),
    ("get", "/inventory/{rid}", None, NOT_YOURS),
    ("get", "/inventory/{manual}", None, NOT_YOURS),
    ("get", "/vms/{rid}/status", None, NOT_YOURS),
    ("get", "/vms/{engine_name}/status", None, NOT_YOURS),
    ("post", "/vms/{rid}/stop", None, NEEDS_ADMIN),
    ("post", "/vms/{rid}/reboot", None, NEEDS_ADMIN),
    ("get", "/api/containers/{vmid}", None, NOT_YOURS),
    ("get", "/api/containers/{vmid}/status", None, NOT_YOURS),
    ("post", "/api/containers/{vmid}/stop", None, NEEDS_ADMIN),
    ("delete", "/api/containers/{vmid}", None, NEEDS_ADMIN),
    ("get", "/instances/{instance}", None, NOT_YOURS),
    ("put", "/instances/{instance}", {"status": "stopped"}, NOT_YOURS),
    ("delete", "/instances/{instance}", None, NOT_YOURS),
    ("get", "/vpcs/{vpc}", None, NOT_YOURS),
    ("delete", "/vpcs/{vpc}", None, NOT_YOURS),
    ("get", "/vpcs/{vpc}/subnets", None, NOT_YOURS),
    ("post", "/vpcs/{vpc}/subnets", {"name": "bobs"}, NOT_YOURS),
    ("get", "/subnets/{subnet}", None, NOT_YOURS),
    ("delete", "/subnets/{subnet}", None, NOT_YOURS),
    ("get", "/volumes/{volume}", None, NOT_YOURS),
    # issue 13: load balancers and gateway routes
    ("get", "/loadbalancers/{lb}", None, NOT_YOURS),
    ("put", "/loadbalancers/{lb}", {"name": "bobs"}, NOT_YOURS),
    ("delete", "/loadbalancers/{lb}", None, NOT_YOURS),
    ("get", "/loadbalancers/{lb}/targets", None, NOT_YOURS),
    ("delete", "/loadbalancers/{lb}/targets/{instance}", None, NOT_YOURS),
    ("get", "/routes/{route}", None, NOT_YOURS),
    ("delete", "/routes/{route}", None, NOT_YOURS),
    ("delete", "/volumes/{volume}", None, NOT_YOURS),
    ("get", "/services/{service}/health", None, NOT_YOURS),
    ("get", "/services/{service}/containers", None, NOT_YOURS),
    ("get", "/services/{service}/logs", None, NOT_YOURS),
    ("post", "/services/{service}/restart", None, NEEDS_ADMIN),
    ("get", "/tasks/{task}", None, NOT_YOURS),
    # issue 10, alerts
    ("get", "/api/alert-rules/{alert_rule}", None, NOT_YOURS),
    ("patch", "/api/alert-rules/{alert_rule}", {"name": "bobs"}, NOT_YOURS),
    ("delete", "/api/alert-rules/{alert_rule}", None, NOT_YOURS),
    ("get", "/api/alerts/{alert}", None, NOT_YOURS),
    ("post", "/api/alerts/{alert}/ack", None, NOT_YOURS),
    ("post", "/api/alerts/{alert}/silence", {"minutes": 5}, NOT_YOURS),
    ("get", "/api/alert-channels/{alert_channel}", None, NOT_YOURS),
    ("patch", "/api/alert-channels/{alert_channel}", {"enabled": False}, NOT_YOURS),
    ("delete", "/api/alert-channels/{alert_channel}", None, NOT_YOURS),
    ("get", "/api/alert-deliveries?channel_id={alert_channel}", None, NOT_YOURS),
    *[("get", f"/api/analytics/{{vmid}}/{m}", None, NOT_YOURS) for m in ("cpu", "memory", "network", "disk", "summary")],
    # issue 13, autoscaling groups
    ("get", "/autoscaling/groups/{group}", None, NOT_YOURS),
    ("put", "/autoscaling/groups/{group}", {"max_size": 1}, NOT_YOURS),
    ("delete", "/autoscaling/groups/{group}", None, NOT_YOURS),
    ("get", "/autoscaling/groups/{group}/activities", None, NOT_YOURS),
    # issue 13, caches
    ("get", "/caches/{cache}", None, NOT_YOURS),
    ("post", "/caches/{cache}/rotate-password", None, NOT_YOURS),
    ("delete", "/caches/{cache}", None, NOT_YOURS),
]

# (method, path, body, status bob gets) on the shared local account's container and account
SHARED = [
    ("get", "/api/resources/{shared_rid}", None, 200),
    ("get", "/inventory/{shared_rid}", None, 200),
    ("get", "/api/resources/{shared_rid}/logs", None, 200),
    ("put", "/api/resources/{shared_rid}", {"tags": {"x": "bob"}, "cost_per_hour": 99.0}, 403),
    ("delete", "/api/resources/{shared_rid}", None, 403),
    ("post", "/api/resources/{shared_rid}/action", {"action": "stop"}, 403),
    ("post", "/vms/{shared_rid}/stop", None, 403),
    ("post", "/vms/{shared_rid}/reboot", None, 403),
    ("get", "/services/{shared_service}/logs", None, 403),
    ("post", "/services/{shared_service}/restart", None, 403),
    ("put", "/api/providers/local", {"display_name": "bob's now"}, 403),
    ("delete", "/api/providers/local", None, 403),
    ("delete", "/credentials/{local_account_id}", None, 403),
]

LISTS = [
    "/api/resources?limit=1000", "/api/resources?provider_id=local&limit=1000",
    "/inventory/vms?limit=1000", "/inventory/storage?limit=1000", "/inventory/networks?limit=1000",
    "/dashboard/stats", "/instances", "/vpcs", "/volumes",
    "/api/containers", "/api/containers/search?q=alice", "/api/dashboard/summary",
    "/topology", "/topology/vms", "/topology/services-by-vm", "/topology/service-types", "/topology/containers",
    "/topology/databases", "/topology/networks", "/topology/summaries",
    "/monitor/audit?limit=500", "/monitor/audit/metrics", "/api/providers", "/credentials/",
    "/api/alert-rules", "/api/alerts?status=all", "/monitor/alerts", "/api/alert-channels", "/api/alert-deliveries",
    "/api/alerts/config-status",
    "/monitor/vms", "/monitor/containers", "/monitor/service-breakdown",
    # issue 11, the cost core
    "/cost", "/cost/summary", "/cost/breakdown", "/cost/free-tier", "/cost/resource-usage",
    "/billing/costs?group_by=service", "/billing/summary", "/api/budget/spending",
    "/autoscaling/groups",  # issue 13
    "/loadbalancers", "/routes",  # issue 13
    "/caches",  # issue 13
]


def call(account, method: str, path: str, body=None):
    kwargs = {"headers": account.headers}
    if body is not None:
        kwargs["json"] = body
    return getattr(account.client, method)(path, **kwargs)


def alices_alerts(client, alice, manual: dict, tag: str) -> tuple[dict, list[str]]:
    """alice's alert rule on her record, the alert it opened, and her own (email) channel."""
    from alerts_support import Clock

    rule = make(alice, "/api/alert-rules", {"name": f"alicerule{tag}", "kind": "not_running",
                                            "resource_id": manual["id"], "open_after": 1})
    channel = make(alice, "/api/alert-channels", {"name": f"alicechan{tag}", "type": "email",
                                                  "to": [f"alicemail{tag}@example.com"]})
    r = alice.client.put(f"/api/resources/{manual['id']}", json={"status": "stopped"}, headers=alice.headers)
    assert r.status_code == 200, r.text
    Clock(client).tick()
    [alert] = alice.client.get("/api/alerts", headers=alice.headers).json()["alerts"]
    return ({"alert_rule": rule["id"], "alert": alert["id"], "alert_channel": channel["id"]},
            [rule["name"], channel["name"], f"alicemail{tag}"])


def alices_balancer(client, alice, tag: str) -> tuple[dict, list[str]]:
    """alice's load balancer and the gateway route to it, on ports of this test's own."""
    settings = client.app.state.runtime.settings
    low = free_block()
    settings.lb_port_range, settings.gateway_port = f"{low}-{low + 9}", low + 10
    lb = make(alice, "/loadbalancers", {"name": f"alicelb{tag}"})
    route = make(alice, "/routes", {"name": f"aliceroute{tag}", "prefix": f"/alicepath{tag}", "target": lb["id"]})
    return {"lb": lb["id"], "route": route["id"]}, [lb["name"], lb["id"], route["id"], f"alicepath{tag}"]


@pytest.fixture
def alices_world(client, admin, member, make_container, engine_socket, tmp_path):
    """alice (= `member`) owns a VPC, subnet, volume, an instance in a service, a hand-tracked
    record with a cost, and a sync task; the shared local account holds a compose container."""
    alice, tag = member, uuid.uuid4().hex[:8]
    shared_project = f"shared{tag}"
    make_container(labels={"com.docker.compose.project": shared_project, "com.docker.compose.service": "web"})
    vpc, subnet = vpc_with_subnet(alice)
    volume = make(alice, "/volumes", {"name": f"alicevol{tag}", "size_gb": 1})
    service = f"alicesvc{tag}"
    instance = make(alice, "/instances", {"name": f"aliceinst{tag}", "image": IMAGE, "command": ["sleep", "300"],
                                          "subnet_id": subnet["id"], "service": service})
    manual = make(alice, "/api/resources", {"name": f"alicemanual{tag}", "resource_type": "vm",
                                             "cost_per_hour": 123.45, "tags": {"owner": f"alicetag{tag}"}})
    alert_ids, alert_secrets = alices_alerts(client, alice, manual, tag)
    lb_ids, lb_secrets = alices_balancer(client, alice, tag)
    build_redis_image(engine_socket)
    cache = make(alice, "/caches", {"name": f"alicecache{tag}", "memory_mb": 16})
    make(alice, "/api/budget/spending", {"amount": 7654.32, "date": str(datetime.now(UTC).date()),
                                         "service": f"alicespend{tag}"})
    group = make(alice, "/autoscaling/groups", {"name": f"alicegroup{tag}", "min_size": 0, "max_size": 2,
                                                "launch_template": {"image": IMAGE}})  # issue 13
    task = alice.client.post("/api/resources/sync/local", headers=alice.headers).json()["task_id"]
    wait_task(alice, task)
    sync(admin, "local")
    rid = instance["vmid"] - 99  # seed 004's vmid is the inventory id + 99
    row = alice.client.get(f"/api/resources/{rid}", headers=alice.headers).json()
    shared = [r for r in admin.client.get("/api/resources", params={"provider_id": "local", "limit": 1000},
                                          headers=admin.headers).json()
              if (r.get("metadata") or {}).get("labels", {}).get("com.docker.compose.project") == shared_project]
    assert len(shared) == 1, shared
    account = admin.client.get("/credentials/", headers=admin.headers).json()
    ids = {
        "rid": rid, "vmid": int(rid) + 99, "engine_name": row["name"], "manual": manual["id"],
        "instance": instance["id"], "vpc": vpc["id"], "subnet": subnet["id"], "volume": volume["id"],
        "service": f"local:{service}", "task": task, "shared_rid": shared[0]["id"],
        "shared_service": f"local:{shared_project}",
        "local_account_id": next(a["id"] for a in account if a["provider"] == "local"),
        "group": group["id"], **alert_ids, **lb_ids, "cache": cache["id"],
    }
    # what must never reach bob: alice's names, ids and address
    secrets = [alice.email, vpc["name"], vpc["id"], subnet["id"], volume["name"], volume["id"], instance["name"],
               instance["id"], row["name"], manual["name"], f"alicetag{tag}", service, task, "123.45", "7654.32", f"alicespend{tag}",
               group["name"], group["id"], *alert_secrets, *lb_secrets, cache["name"], cache["id"], cache["password"]]
    yield ids, secrets
    stop_proxy(client, tmp_path / "data")  # issue 13: the proxy alice's load balancer started

