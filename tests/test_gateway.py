"""The API gateway on the real HAProxy: prefixes to instances and load balancers (by id or by
their URL), strip_prefix, longest prefix first; bad and conflicting prefixes; targets outside
the caller's own objects refused by the egress rule; the quota; a second member's routes."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import assert_error
from lb_support import FAST, attach, client, fetch, lb, ports, until, web  # noqa: F401  (fixtures)
from localcloud_support import allow, labelled_local_account  # noqa: F401  (fixture)

pytestmark = pytest.mark.database


def route(account, prefix: str, target: str, status: int = 201, **fields):
    r = account.client.post("/routes", json={"name": f"r{abs(hash(prefix)) % 10000}", "prefix": prefix,
                                             "target": target, **fields}, headers=account.headers)
    assert r.status_code == status, r.text
    return r.json()


def who(ports, path: str) -> tuple[int, str]:
    status, body = fetch(f"http://127.0.0.1:{ports['gateway_port']}{path}")
    return status, body.decode().strip()


def host_port(instance: dict) -> int:
    return int(instance["ports"][0].split(":")[0])


def test_prefixes_to_instances_and_load_balancers(client, member, ports, engine):
    a, b = web(member), web(member)
    name_a = engine.containers.list(filters={"label": f"cloudfold.id={a['id']}"})[0].attrs["Config"]["Hostname"]
    name_b = engine.containers.list(filters={"label": f"cloudfold.id={b['id']}"})[0].attrs["Config"]["Hostname"]
    balancer = lb(member)
    attach(member, balancer["id"], b["id"])
    root = route(member, "/", a["id"])
    assert root["target_kind"] == "instance" and root["target_id"] == a["id"]
    shop = route(member, "/shop/", balancer["id"], strip_prefix=True)
    assert shop["prefix"] == "/shop" and shop["target_kind"] == "load_balancer"
    assert shop["url"] == f"http://127.0.0.1:{ports['gateway_port']}/shop/"
    until(lambda: who(ports, "/shop/who") == (200, name_b))  # longest prefix, stripped
    assert who(ports, "/who") == (200, name_a)
    assert who(ports, "/shopping/who")[0] == 404  # "/" got it: a has no /shopping/who
    by_url = route(member, "/via-url", f"http://127.0.0.1:{balancer['port']}", strip_prefix=True)
    assert by_url["target_kind"] == "load_balancer" and by_url["target_id"] == balancer["id"]
    inst_url = route(member, "/a/b", f"http://127.0.0.1:{host_port(a)}/", strip_prefix=True)
    assert inst_url["target_kind"] == "instance" and inst_url["target_id"] == a["id"]
    by_name = route(member, "/by-name", f"http://{a['name']}:8080", strip_prefix=True)  # as seed 003's example
    assert by_name["target_kind"] == "instance" and by_name["target_id"] == a["id"]
    lb_name = route(member, "/lb-name", f"http://{balancer['name']}", strip_prefix=True)
    assert lb_name["target_kind"] == "load_balancer" and lb_name["target_id"] == balancer["id"]
    assert who(ports, "/by-name/who") == (200, name_a) and who(ports, "/lb-name/who") == (200, name_b)
    assert who(ports, "/via-url/who") == (200, name_b)
    assert who(ports, "/a/b/who") == (200, name_a)
    kept = route(member, "/who", b["id"])  # not stripped: b's own /who
    assert who(ports, "/who") == (200, name_b) and kept["strip_prefix"] is False
    assert [r["prefix"] for r in member.client.get("/routes", headers=member.headers).json()] == [
        "/", "/shop", "/via-url", "/a/b", "/by-name", "/lb-name", "/who"]

    assert_error(member.client.delete(f"/loadbalancers/{balancer['id']}", headers=member.headers), 409, "CONFLICT")
    r = member.client.delete(f"/routes/{shop['id']}", headers=member.headers)
    assert r.status_code == 200 and r.json()["success"] is True
    assert who(ports, "/shop/who")[0] == 404  # "/" has it now
    assert_error(member.client.get(f"/routes/{shop['id']}", headers=member.headers), 404, "NOT_FOUND")


@pytest.mark.parametrize("body", [
    {"name": "x", "prefix": "/a", "target": ""},
    {"name": "x", "target": "abc"},  # no prefix
    {"name": "x", "prefix": "a", "target": "abc"},
    {"name": "x", "prefix": "/a//b", "target": "abc"},
    {"name": "x", "prefix": "/a/../b", "target": "abc"},
    {"name": "x", "prefix": "/a b", "target": "abc"},
    {"name": "x", "prefix": "/a", "target": "abc", "strip_prefix": "sometimes"},
    {"name": "x", "prefix": "/a", "target": "ftp://example.org"},
    {"name": "x", "prefix": "/a", "target": "http://169.254.169.254"},  # metadata
    {"name": "x", "prefix": "/a", "target": "http://10.1.2.3:8080"},  # private
    {"name": "x", "prefix": "/a", "target": "http://127.0.0.1:9"},  # loopback, not yours
    {"name": "x", "prefix": "/a", "target": "http://example.org/path"},
])
def test_bad_routes_are_400(client, member, body):
    assert_error(member.client.post("/routes", json=body, headers=member.headers), 400, "BAD_REQUEST")
    assert member.client.get("/routes", headers=member.headers).json() == []


def test_conflicts_unknown_targets_quota_and_isolation(client, member, admin, make_account, ports):
    other = make_account()
    mine = web(member)
    balancer = lb(member)
    first = route(member, "/app", mine["id"])
    assert_error(member.client.post("/routes", json={"name": "y", "prefix": "/app/", "target": mine["id"]},
                                    headers=member.headers), 409, "CONFLICT")
    assert_error(other.client.post("/routes", json={"name": "y", "prefix": "/app", "target": mine["id"]},
                                   headers=other.headers), 404, "NOT_FOUND")  # not their instance
    for target in (mine["id"], balancer["id"], "no-such-id"):
        assert_error(other.client.post("/routes", json={"name": "y", "prefix": "/theirs", "target": target},
                                       headers=other.headers), 404, "NOT_FOUND")
    for target in (f"http://127.0.0.1:{balancer['port']}", f"http://127.0.0.1:{host_port(mine)}",
                   f"http://{mine['name']}:8080", f"http://{balancer['name']}"):
        assert_error(other.client.post("/routes", json={"name": "y", "prefix": "/theirs", "target": target},
                                       headers=other.headers), 400, "BAD_REQUEST")  # loopback, not their object
    assert_error(other.client.get(f"/routes/{first['id']}", headers=other.headers), 404, "NOT_FOUND")
    assert_error(other.client.delete(f"/routes/{first['id']}", headers=other.headers), 404, "NOT_FOUND")
    assert other.client.get("/routes", headers=other.headers).json() == []
    allow(admin, member, routes=1)
    body = assert_error(member.client.post("/routes", json={"name": "z", "prefix": "/two", "target": mine["id"]},
                                           headers=member.headers), 403, "FORBIDDEN")
    assert body["detail"]["quota"] == "routes"
    assert len(member.client.get("/routes", headers=member.headers).json()) == 1


class Hello(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        self.send_response(200)
        self.end_headers()
        self.wfile.write(f"outside {self.path}".encode())

    def log_message(self, *args):
        pass


def test_an_admin_may_route_to_an_outside_url(client, admin, member, ports):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hello)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        assert_error(member.client.post("/routes", json={"name": "o", "prefix": "/out", "target": url},
                                        headers=member.headers), 400, "BAD_REQUEST")
        made = route(admin, "/out", url, strip_prefix=True)
        assert made["target_kind"] == "url" and made["target_id"] is None
        assert who(ports, "/out/x") == (200, "outside /x")
    finally:
        server.shutdown()
