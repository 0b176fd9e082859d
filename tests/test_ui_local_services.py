"""The Local cloud page lists the caller's load balancers (with their targets' states),
auto-scaling groups (desired/current), gateway routes and caches (endpoint, status), read-only,
as the API lists them; another member sees none of them. Real Podman, HAProxy and Redis image."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from autoscaling_support import QUIET
from autoscaling_support import create as create_group
from caches_support import redis_image  # noqa: F401  (fixture)
from lb_support import attach, lb, ports, stop_proxy, web  # noqa: F401  (fixture)
from localcloud_support import POOL, labelled_local_account, make  # noqa: F401  (fixture)
from ui_support import signed_in

pytestmark = pytest.mark.database  # quota claims and leases, as the services' own tests


@pytest.fixture
def client(make_client, engine_socket, ports, redis_image, tmp_path):  # noqa: F811
    c = make_client(auto_register_local=True, docker_host=engine_socket, local_vpc_pool=POOL,
                    proxy_supervise_seconds=1, **ports, **QUIET)
    yield c
    stop_proxy(c, Path(tmp_path) / "data")


def test_local_page_lists_the_callers_services_and_no_one_elses(client, member, make_account):
    other = make_account()
    instance = web(member)
    balancer = lb(member)
    attach(member, balancer["id"], instance["id"])
    route = make(member, "/routes", {"name": "shop", "prefix": "/shop", "target": balancer["id"]})
    group = create_group(member, min_size=0, desired_capacity=0)  # no instance launched (rounds are QUIET)
    cache = make(member, "/caches", {"name": f"c-{uuid.uuid4().hex[:6]}", "memory_mb": 64})

    signed_in(client, member)
    page = client.get("/ui/local")
    assert page.status_code == 200, page.text
    html = page.text
    listed = client.get("/loadbalancers", headers=member.headers).json()[0]["targets"][0]
    target = re.search(rf'data-target="{instance["id"]}">[^<]*<span class="state state-(\w+)">', html)
    assert target and target.group(1) in ("healthy", "unhealthy", "unknown", "draining", "checking", listed["state"])
    assert f'data-lb="{balancer["id"]}"' in html and balancer["address"] in html
    assert re.search(rf'data-group="{group["id"]}">.*data-desired>0<.*data-current>0<', html)
    assert f'data-route="{route["id"]}"' in html and "<code>/shop</code>" in html
    endpoint = f'{cache["endpoint"]["host"]}:{cache["endpoint"]["port"]}'
    assert f'data-cache="{cache["id"]}"' in html and endpoint in html

    signed_in(client, other)
    theirs = client.get("/ui/local").text
    for made in (balancer, group, route, cache, instance):
        assert made["id"] not in theirs
    assert endpoint not in theirs and balancer["name"] not in theirs
    for empty in ("No load balancers yet", "No auto-scaling groups yet", "No gateway routes yet", "No caches yet"):
        assert empty in theirs
