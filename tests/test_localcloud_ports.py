"""Seed 003 instance details on the real engine: host port 0 is any free port (a member's from
the range they may publish, an admin's as the engine picks), and the record, the engine and
a real connection agree on it; instance names up to 64 characters."""

from __future__ import annotations

import uuid

from conftest import assert_error
from engine import IMAGE
from localcloud_support import (  # noqa: F401  (fixtures)
    LABELS,
    client,
    free_port,
    labelled_local_account,
    launch,
)
from test_images_templates import _fetch
from test_localcloud_instances import HTTPD, container
import pytest

pytestmark = pytest.mark.database


def bound_port(engine, instance: dict) -> int:
    c = container(engine, instance)
    c.reload()
    (binding,) = c.attrs["NetworkSettings"]["Ports"]["8080/tcp"]
    return int(binding["HostPort"])


def test_port_zero_is_a_free_port_in_the_members_range(client, member, engine):
    inst = launch(member, None, command=HTTPD, ports="0:8080")
    (published,) = inst["ports"]
    host = int(published.split(":")[0])
    assert 20000 <= host <= 29999 and published == f"{host}:8080/tcp"
    assert bound_port(engine, inst) == host
    assert b"cloudfold" in _fetch(f"http://127.0.0.1:{host}/")
    assert client.get(f"/instances/{inst['id']}", headers=member.headers).json()["ports"] == [published]
    second = launch(member, None, command=HTTPD, ports=["0:8080"])
    assert second["ports"] != inst["ports"]


def test_port_zero_for_an_admin_is_the_engines_choice(client, admin, engine):
    inst = launch(admin, None, command=HTTPD, ports="0:8080")
    (published,) = inst["ports"]
    host = int(published.split(":")[0])
    assert host != 0 and bound_port(engine, inst) == host
    assert b"cloudfold" in _fetch(f"http://127.0.0.1:{host}/")
    assert client.get(f"/instances/{inst['id']}", headers=admin.headers).json()["ports"] == [published]


def test_port_zero_refusals(client, member):
    h = member.headers
    body = {"name": "web", "image": IMAGE, "command": ["sleep", "300"]}
    assert_error(client.post("/instances", json={**body, "ports": "0:0"}, headers=h), 400, "BAD_REQUEST")
    assert_error(client.post("/instances", json={**body, "ports": "-1:80"}, headers=h), 400, "BAD_REQUEST")
    assert client.get("/instances", headers=h).json() == []


def test_instance_names_up_to_64_characters(client, member):
    name = ("n" + uuid.uuid4().hex * 2)[:64]
    assert launch(member, None, name=name)["name"] == name
    body = {"name": name + "x", "image": IMAGE, "command": ["sleep", "300"]}
    err = assert_error(client.post("/instances", json=body, headers=member.headers), 400, "BAD_REQUEST")
    assert err["detail"][0]["loc"] == ["body", "name"]


def test_instance_env_round_trips_at_its_limits(client, member, engine):
    from cloudfold.domain.inputs import MAX_ENTRIES, MAX_KEY_LENGTH, MAX_STRING_LENGTH

    env = {f"V{i}": str(i) for i in range(MAX_ENTRIES - 2)}
    env["K" * MAX_KEY_LENGTH] = "v"
    env["LONG"] = "x" * MAX_STRING_LENGTH
    inst = launch(member, None, env=env)
    assert inst["env"] == env
    assert client.get(f"/instances/{inst['id']}", headers=member.headers).json()["env"] == env
    assert f"LONG={'x' * MAX_STRING_LENGTH}" in container(engine, inst).attrs["Config"]["Env"]


def test_a_port_another_container_publishes_is_never_given_twice(make_client, engine_socket, make_container,
                                                                 make_account, engine):
    """A rootful Podman forwards published ports with firewall rules and binds no socket, so
    only the engine knows a port is taken: a container cloudfold did not make (or another
    user's) holds the first port of the range; port 0 gives the next, and asking for the held
    one is the 409 of any taken port."""
    first = free_port()
    app = make_client(auto_register_local=True, docker_host=engine_socket, publish_port_range=f"{first}-{first + 1}")
    r = app.put("/api/providers/local", json={"config": {"docker_host": engine_socket, "labels": LABELS}},
                headers=make_account("admin", app).headers)
    assert r.status_code == 200, r.text
    alice = make_account("member", app)
    make_container(command=HTTPD, ports={"8080/tcp": ("127.0.0.1", first)})
    body = {"name": "web", "image": IMAGE, "command": HTTPD}
    taken = app.post("/instances", json={**body, "ports": f"{first}:8080"}, headers=alice.headers)
    assert_error(taken, 409, "CONFLICT")
    r = app.post("/instances", json={**body, "ports": "0:8080"}, headers=alice.headers)
    assert r.status_code == 201, r.text
    assert r.json()["ports"] == [f"{first + 1}:8080/tcp"]
    assert bound_port(engine, r.json()) == first + 1
    assert b"cloudfold" in _fetch(f"http://127.0.0.1:{first + 1}/")
    full = app.post("/instances", json={**body, "name": "web2", "ports": "0:8080"}, headers=alice.headers)
    assert_error(full, 409, "CONFLICT")
