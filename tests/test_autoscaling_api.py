"""The /autoscaling/groups API: bad input is a 400 in the project's error shape and changes
nothing; another member sees none of a group (404, nothing leaked); a viewer cannot change
one; one round of a group at a time (its lease); a restarted process counts the group's
instances from the database; a round a dead process left is marked interrupted. The load
balancer link is tested once `cloudfold.domain.loadbalancers` exists (issue 13, package A)."""

from __future__ import annotations

import pytest
from autoscaling_support import QUIET, activities, create, get, group_body, round_
from conftest import assert_error
from engine import IMAGE
from helpers_api import db
from localcloud_support import POOL, labelled_local_account, vpc_with_subnet  # noqa: F401  (fixture)

from cloudfold.db.models import AutoscalingActivity, AutoscalingGroup
from cloudfold.domain.autoscaling import reconcile

pytestmark = pytest.mark.database  # the lease is a conditional UPDATE: PostgreSQL too


@pytest.fixture
def client(make_client, engine_socket):
    return make_client(auto_register_local=True, docker_host=engine_socket, local_vpc_pool=POOL, **QUIET)


BAD = [
    ({"min_size": 3, "max_size": 2}, "min_size (3) is greater than max_size (2)"),
    ({"desired_capacity": 5}, "desired_capacity (5) must lie between"),
    ({"min_size": 2, "desired_capacity": 1}, "desired_capacity (1) must lie between"),
    ({"policy": {"type": "step"}}, None),
    ({"policy": {"type": "target_cpu", "target_percent": 0}}, None),
    ({"policy": {"type": "target_cpu", "target_percent": 50, "cooldown_s": -1}}, None),
    ({"policy": {"type": "schedule", "entries": []}}, None),
    ({"policy": {"type": "schedule", "entries": [{"cron": "61 * * * *", "desired": 1}]}}, "not a valid cron"),
    ({"policy": {"type": "schedule", "entries": [{"cron": "0 0 * * * *", "desired": 1}]}}, "5-field cron"),
    ({"policy": {"type": "schedule", "entries": [{"cron": "0 8 * * *", "desired": 7}]}}, "schedule entry's desired (7)"),
    ({"min_size": "many"}, None),
    ({"name": "no spaces allowed"}, None),
    ({"surprise": 1}, None),
    ({"launch_template": {"image": IMAGE, "ports": "8080:80"}}, "cannot share a fixed host port"),
    ({"launch_template": {"image": IMAGE, "ports": "80:99999"}}, None),
    ({"launch_template": {"image": "localhost/no-such-image:1"}}, "is not on the engine"),
    ({"load_balancer_id": "3f1c6f0e-0000-4000-8000-000000000000"}, "load_balancer_id and target_port go together"),
    ({"health_check_grace_s": -5}, None),
]


@pytest.mark.parametrize("fields,message", BAD)
def test_bad_input_is_a_400_and_changes_nothing(client, member, fields, message):
    r = member.client.post("/autoscaling/groups", json=group_body(**fields), headers=member.headers)
    body = assert_error(r, 400, "BAD_REQUEST")
    if message:
        assert message in body["message"], body
    assert member.client.get("/autoscaling/groups", headers=member.headers).json() == []


def test_missing_fields_and_malformed_bodies(client, member):
    for body in ({}, {"name": "g"}, {"name": "g", "launch_template": {"image": IMAGE}, "min_size": 1},
                 {"name": "g", "min_size": 0, "max_size": 1}):
        assert_error(member.client.post("/autoscaling/groups", json=body, headers=member.headers), 400, "BAD_REQUEST")
    r = member.client.post("/autoscaling/groups", content=b"{", headers={**member.headers,
                                                                         "Content-Type": "application/json"})
    assert_error(r, 400, "BAD_REQUEST")


def test_thecloud_field_names_and_a_flat_template(client, member):
    body = {"name": "flat", "image": IMAGE, "command": ["sleep", "600"], "ports": "80",
            "min_instances": 0, "max_instances": 2, "desired_count": 0}
    r = member.client.post("/autoscaling/groups", json=body, headers=member.headers)
    assert r.status_code == 201, r.text
    group = r.json()
    assert (group["min_size"], group["max_size"], group["desired_capacity"]) == (0, 2, 0)
    assert group["launch_template"]["image"] == IMAGE and group["launch_template"]["ports"] == ["0:80/tcp"]


def test_update_checks_the_merged_group(client, member):
    group = create(member, min_size=0, desired_capacity=0)
    url = f"/autoscaling/groups/{group['id']}"
    for body, message in (({"max_size": 0}, ""), ({"min_size": 4}, "greater than max_size"),
                          ({"desired_capacity": 4}, "must lie between"), ({"load_balancer_id": "x"}, "")):
        assert message in assert_error(member.client.put(url, json=body, headers=member.headers),
                                       400, "BAD_REQUEST")["message"]
    assert get(member, group["id"])["max_size"] == 3
    r = member.client.put(url, json={"max_size": 5, "desired_count": 0, "launch_template": {"env": {"A": "1"}},
                                     "policy": {"type": "target_cpu", "target_percent": 60}}, headers=member.headers)
    assert r.status_code == 200, r.text
    shown = r.json()
    assert shown["max_size"] == 5 and shown["launch_template"]["env"] == {"A": "1"}
    assert shown["launch_template"]["image"] == IMAGE and shown["policy"]["cooldown_s"] == 300
    r = member.client.put(url, json={"launch_template": None, "policy": None}, headers=member.headers)
    assert r.status_code == 200 and r.json()["policy"] is None and r.json()["launch_template"]["env"] == {"A": "1"}
    assert_error(member.client.put("/autoscaling/groups/nope", json={"max_size": 2}, headers=member.headers),
                 404, "NOT_FOUND")


def test_another_member_sees_nothing_of_a_group(client, member, make_account):
    other = make_account()
    group = create(member, min_size=0, desired_capacity=0)
    url = f"/autoscaling/groups/{group['id']}"
    for method, path, body in (("GET", url, None), ("PUT", url, {"max_size": 1}), ("DELETE", url, None),
                               ("GET", f"{url}/activities", None)):
        r = other.client.request(method, path, json=body, headers=other.headers)
        assert_error(r, 404, "NOT_FOUND")
        assert group["name"] not in r.text
    assert other.client.get("/autoscaling/groups", headers=other.headers).json() == []
    assert get(member, group["id"])["max_size"] == 3  # unchanged, not deleted


def test_another_members_subnet_is_not_a_template(client, member, make_account):
    other = make_account()
    _, subnet = vpc_with_subnet(other)
    r = member.client.post("/autoscaling/groups", json=group_body(
        launch_template={"image": IMAGE, "subnet_id": subnet["id"]}), headers=member.headers)
    assert_error(r, 404, "NOT_FOUND")


def test_a_viewer_cannot_change_groups(client, member, make_account):
    viewer = make_account("viewer")
    group = create(member, min_size=0, desired_capacity=0)
    assert_error(viewer.client.post("/autoscaling/groups", json=group_body(), headers=viewer.headers),
                 403, "FORBIDDEN")
    assert viewer.client.get("/autoscaling/groups", headers=viewer.headers).status_code == 200
    assert_error(viewer.client.delete(f"/autoscaling/groups/{group['id']}", headers=viewer.headers),
                 403, "FORBIDDEN")


def test_one_round_of_a_group_at_a_time(client, member):
    group = create(member, min_size=0, desired_capacity=0)
    round_(client, group["id"])  # the create's own round is over
    rt = client.app.state.runtime
    with rt.sessions() as one, rt.sessions() as two:
        assert reconcile.lease(one, group["id"]) is True
        assert reconcile.lease(two, group["id"]) is False
        with rt.sessions() as three:
            assert reconcile.reconcile_group(three, rt, group["id"]) == {"skipped": reconcile.HELD}
        reconcile.release(one, group["id"])
        assert reconcile.lease(two, group["id"]) is True
        reconcile.release(two, group["id"])


def test_a_restarted_process_counts_the_group_from_the_database(client, member, make_client, engine_socket):
    group = create(member, desired_capacity=2)
    round_(client, group["id"])
    with db(client) as session:  # a round that died after recording its intent
        owner_id = session.get(AutoscalingGroup, group["id"]).owner_id
        session.add(AutoscalingActivity(group_id=group["id"], owner_id=owner_id, action="launch",
                                        cause="before the crash", status="in_progress"))
    again = make_client(auto_register_local=True, docker_host=engine_socket, local_vpc_pool=POOL, **QUIET)
    out = round_(again, group["id"])
    assert out["launched"] == 0 and out["terminated"] == 0, out
    assert get(member, group["id"])["current_count"] == 2
    interrupted = next(a for a in activities(member, group["id"]) if a["cause"] == "before the crash")
    assert interrupted["status"] == "failed" and "interrupted" in interrupted["message"]
