"""Load balancers on the real HAProxy and real busybox httpd instances on Podman: traffic
spreads over the targets, a failing target leaves rotation and comes back, the proxy killed is
restarted with its configuration rebuilt from the database, a terminated instance leaves."""

from __future__ import annotations

import errno
import os
import socket
import signal
import time
from pathlib import Path

import pytest

from lb_support import (  # noqa: F401  (fixtures)
    all_healthy, attach, client, fetch, hits, lb, ports, states, stop_proxy, until, web)
from localcloud_support import POOL, labelled_local_account  # noqa: F401  (fixture)
from test_localcloud_instances import container

pytestmark = pytest.mark.database



def test_traffic_spreads_and_a_failing_target_leaves_and_returns(client, member, engine):
    a, b = web(member), web(member)
    balancer = lb(member)
    assert balancer["algorithm"] == "round_robin" and balancer["targets"] == []
    assert balancer["health_check"] == {"path": "/", "interval_s": 1, "timeout_s": 1, "healthy_threshold": 1,
                                        "unhealthy_threshold": 1}
    attach(member, balancer["id"], a["id"])
    body = attach(member, balancer["id"], b["id"])
    assert {t["instance_id"] for t in body["targets"]} == {a["id"], b["id"]}
    until(all_healthy(member, balancer["id"], 2))
    spread = hits(balancer["address"], 20)
    assert len(spread) == 2 and min(spread.values()) >= 8, spread

    container(engine, a).exec_run(["rm", "/www/index.html"])  # its health check now gets 404
    until(lambda: states(member, balancer["id"])[a["id"]] == "unhealthy")
    assert len(hits(balancer["address"], 10)) == 1  # only b answers
    listed = member.client.get(f"/loadbalancers/{balancer['id']}/targets", headers=member.headers).json()
    assert {t["instance_id"]: t["state"] for t in listed} == {a["id"]: "unhealthy", b["id"]: "healthy"}

    container(engine, a).exec_run(["sh", "-c", "echo ok > /www/index.html"])
    until(all_healthy(member, balancer["id"], 2))
    assert len(hits(balancer["address"], 10)) == 2


def test_least_conn_change_and_detach_keep_other_listeners(client, member):
    a = web(member)
    one, two = lb(member), lb(member, algorithm="least_conn")
    attach(member, one["id"], a["id"])
    attach(member, two["id"], a["id"])
    until(all_healthy(member, one["id"], 1))
    r = member.client.put(f"/loadbalancers/{one['id']}", json={"algorithm": "least_conn", "name": "renamed",
                                                               "health_check": {"path": "/who"}},
                          headers=member.headers)
    assert r.status_code == 200, r.text
    assert r.json()["algorithm"] == "least_conn" and r.json()["name"] == "renamed"
    assert r.json()["health_check"]["path"] == "/who" and r.json()["health_check"]["interval_s"] == 1
    r = member.client.delete(f"/loadbalancers/{one['id']}/targets/{a['id']}", headers=member.headers)
    assert r.status_code == 200 and r.json()["targets"] == []
    assert fetch(f"{one['address']}/who")[0] == 503  # no target left
    assert fetch(f"{two['address']}/who")[0] == 200  # the other listener serves on
    r = member.client.delete(f"/loadbalancers/{one['id']}", headers=member.headers)
    assert r.status_code == 200 and r.json()["success"] is True
    assert member.client.get(f"/loadbalancers/{one['id']}", headers=member.headers).status_code == 404
    with pytest.raises(OSError):
        import socket

        socket.create_connection(("127.0.0.1", one["port"]), timeout=2).close()


def test_killed_proxy_is_restarted_with_its_configuration(client, member, tmp_path):
    a = web(member)
    balancer = lb(member)
    attach(member, balancer["id"], a["id"])
    until(all_healthy(member, balancer["id"], 1))
    pid_file = Path(tmp_path) / "data" / "proxy" / "haproxy.pid"
    old = int(pid_file.read_text().split()[0])
    os.killpg(os.getpgid(old), signal.SIGKILL)  # the master and its workers
    until(lambda: fetch_or_none(balancer["address"]) == 200, seconds=30)
    assert int(pid_file.read_text().split()[0]) != old


def fetch_or_none(address: str):
    try:
        return fetch(f"{address}/who", timeout=2)[0]
    except OSError:
        return None


def test_a_terminated_instance_leaves_its_load_balancer(client, member):
    a, b = web(member), web(member)
    balancer = lb(member)
    attach(member, balancer["id"], a["id"])
    attach(member, balancer["id"], b["id"])
    r = member.client.delete(f"/instances/{a['id']}", headers=member.headers)
    assert r.status_code == 200, r.text
    assert set(states(member, balancer["id"])) == {b["id"]}
    until(all_healthy(member, balancer["id"], 1))
    assert len(hits(balancer["address"], 6)) == 1


def test_a_restarted_cloudfold_finds_its_proxy_serving(client, member, make_client, tmp_path, engine_socket, ports):
    a = web(member)
    balancer = lb(member)
    attach(member, balancer["id"], a["id"])
    until(all_healthy(member, balancer["id"], 1))
    pid_file = Path(tmp_path) / "data" / "proxy" / "haproxy.pid"
    before = pid_file.read_text()
    client.app.state.runtime.queue.stop()  # the first cloudfold's jobs end; the proxy serves on
    assert fetch_or_none(balancer["address"]) == 200
    again = make_client(auto_register_local=True, docker_host=engine_socket, local_vpc_pool=POOL,
                        proxy_supervise_seconds=1, **ports)
    try:
        r = again.get(f"/loadbalancers/{balancer['id']}", headers=member.headers)
        assert r.status_code == 200 and r.json()["targets"][0]["state"] == "healthy"
        config = (Path(tmp_path) / "data" / "proxy" / "haproxy.cfg").read_text()
        time.sleep(2.5)  # two supervisor rounds of the new process: nothing to change
        assert pid_file.read_text() == before and (Path(tmp_path) / "data" / "proxy" / "haproxy.cfg").read_text() == config
        assert fetch_or_none(balancer["address"]) == 200
    finally:
        stop_proxy(again, Path(tmp_path) / "data")


def test_no_other_process_can_share_a_listeners_port(client, member, ports):
    """HAProxy sets no SO_REUSEPORT: a second proxy (another data directory's, or one a killed
    run left behind) cannot bind a balancer's or the gateway's port beside it and silently
    answer part of its traffic; a reload still keeps the port (the sockets are handed over)."""
    balancer = lb(member)
    routed = member.client.post("/routes", json={"name": "gw", "prefix": "/x", "target": balancer["id"]},
                                headers=member.headers)
    assert routed.status_code == 201, routed.text
    for port in (balancer["port"], ports["gateway_port"]):
        with socket.socket() as other:
            other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            with pytest.raises(OSError) as refused:
                other.bind(("127.0.0.1", port))
            assert refused.value.errno == errno.EADDRINUSE
    changed = member.client.put(f"/loadbalancers/{balancer['id']}", json={"algorithm": "least_conn"},
                                headers=member.headers)
    assert changed.status_code == 200, changed.text  # a reload: the new worker took the sockets over
    assert fetch(f"http://127.0.0.1:{balancer['port']}/")[0] == 503  # no targets, but it is ours
