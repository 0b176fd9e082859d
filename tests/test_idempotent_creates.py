"""A create whose process died after it made the object but before it stored the answer: the
retry with the same Idempotency-Key answers the object the first attempt made and makes no
second one (domain/replay.py). The death is re-enacted as the takeover leaves it: the
request's idempotency record names a process that has exited, without an answer."""

from __future__ import annotations

import docker
import pytest
from sqlalchemy import func, select, update

from cloudfold.db.models import CloudObject, IdempotencyRecord
from engine import IMAGE
from helpers_api import db
from localcloud_support import LABELS, client, labelled_local_account, vpc_with_subnet  # noqa: F401
from test_crash_recovery import dead_worker

pytestmark = pytest.mark.database


def cut_short(client, key: str) -> None:
    """As if the process that ran the request under ``key`` died before storing its answer."""
    worker = dead_worker(client)
    with db(client) as s:
        s.execute(update(IdempotencyRecord).where(IdempotencyRecord.key == key)
                  .values(status_code=None, body=None, headers=None, worker_id=worker))
        s.commit()


def objects(client, kind: str) -> int:
    with db(client) as s:
        return s.scalar(select(func.count()).select_from(CloudObject).where(CloudObject.kind == kind))


def engine_containers(engine_socket: str, name: str) -> list:
    engine = docker.DockerClient(base_url=engine_socket, timeout=60)
    try:
        mine = [f"{k}={v}" for k, v in LABELS.items()]
        return [c for c in engine.containers.list(all=True, filters={"label": mine}) if c.name.startswith(name)]
    finally:
        engine.close()


@pytest.mark.parametrize("path, body, kind", [
    ("/vpcs", {"name": "retried-vpc"}, "vpc"),
    ("/volumes", {"name": "retried-vol", "size_gb": 1}, "volume"),
])
def test_a_retried_create_answers_what_the_first_attempt_made(client, member, path, body, kind):
    headers = {**member.headers, "Idempotency-Key": f"once-{kind}"}
    first = client.post(path, json=body, headers=headers)
    assert first.status_code == 201, first.text
    cut_short(client, f"once-{kind}")
    retry = client.post(path, json=body, headers=headers)
    assert retry.status_code == 201 and "idempotent-replayed" not in retry.headers, retry.text
    assert retry.json()["id"] == first.json()["id"] and objects(client, kind) == 1
    # the retry's answer is stored now: a third call replays it
    third = client.post(path, json=body, headers=headers)
    assert third.headers.get("idempotent-replayed") == "true" and third.json()["id"] == first.json()["id"]


def test_a_retried_instance_launch_makes_one_container(client, member, engine_socket):
    _, subnet = vpc_with_subnet(member)
    body = {"name": "retried-i", "image": IMAGE, "command": ["sleep", "300"], "subnet_id": subnet["id"]}
    headers = {**member.headers, "Idempotency-Key": "launch-once"}
    first = client.post("/instances", json=body, headers=headers)
    assert first.status_code == 201, first.text
    cut_short(client, "launch-once")
    retry = client.post("/instances", json=body, headers=headers)
    assert retry.status_code == 201 and retry.json()["id"] == first.json()["id"], retry.text
    assert objects(client, "instance") == 1 and len(engine_containers(engine_socket, "retried-i")) == 1


def test_another_key_or_another_body_still_makes_another_object(client, member):
    headers = {**member.headers, "Idempotency-Key": "k-a"}
    first = client.post("/vpcs", json={"name": "a"}, headers=headers)
    cut_short(client, "k-a")
    other_body = client.post("/vpcs", json={"name": "b"}, headers=headers)  # the released key, another request
    other_key = client.post("/vpcs", json={"name": "a"}, headers={**member.headers, "Idempotency-Key": "k-b"})
    ids = {first.json()["id"], other_body.json()["id"], other_key.json()["id"]}
    assert len(ids) == 3 and objects(client, "vpc") == 3


def test_another_user_with_the_same_key_and_body_gets_their_own(client, member, make_account):
    other = make_account("member")
    body, key = {"name": "shared-name"}, {"Idempotency-Key": "same-key"}
    mine = client.post("/vpcs", json=body, headers={**member.headers, **key})
    cut_short(client, "same-key")
    theirs = client.post("/vpcs", json=body, headers={**other.headers, **key})
    assert theirs.status_code == 201 and theirs.json()["id"] != mine.json()["id"]


def test_a_retried_seed_004_create_answers_the_same_vmid_and_task(client, admin, engine_socket):
    from inventory_support import wait_task
    from test_proxicloud_create import TEMPLATE

    body = {"template": TEMPLATE, "hostname": "retried-004", "cores": 1, "memory": 64}
    headers = {**admin.headers, "Idempotency-Key": "ct-once"}
    first = client.post("/api/containers", json=body, headers=headers)
    assert first.status_code == 201, first.text
    assert wait_task(admin, first.json()["task_id"])["status"] == "succeeded"
    cut_short(client, "ct-once")
    retry = client.post("/api/containers", json=body, headers=headers)
    assert retry.status_code == 201, retry.text
    assert {k: retry.json()[k] for k in ("vmid", "task_id", "name")} == {
        k: first.json()[k] for k in ("vmid", "task_id", "name")}
    assert len(engine_containers(engine_socket, "retried-004")) == 1


def test_a_retry_after_a_half_made_first_attempt_rolls_it_back_and_makes_one(client, member, engine_socket):
    """The first attempt died after its container was made but before its record was
    completed (status `creating`, its process named): the retry rolls that back at once, as
    the reconciler would, and makes the instance once."""
    from cloudfold.db.models import Resource
    from cloudfold.domain.localcloud import core

    body = {"name": "half-i", "image": IMAGE, "command": ["sleep", "300"]}
    headers = {**member.headers, "Idempotency-Key": "half-once"}
    first = client.post("/instances", json=body, headers=headers)
    assert first.status_code == 201, first.text
    dead = dead_worker(client)
    with db(client) as s:
        obj = s.get(CloudObject, first.json()["id"])
        obj.worker_id = dead
        s.execute(update(Resource).where(Resource.id == obj.resource_id)
                  .values(status="creating", external_id=f"{core.PENDING}{obj.id}", manual=True,
                          meta={core.ANSWERED: False}))  # as `reserve` leaves it
        s.commit()
    cut_short(client, "half-once")
    retry = client.post("/instances", json=body, headers=headers)
    assert retry.status_code == 201, retry.text
    assert retry.json()["id"] != first.json()["id"] and objects(client, "instance") == 1
    assert len(engine_containers(engine_socket, "half-i")) == 1


def test_a_half_made_container_removed_while_it_is_settled_counts_as_gone(client, member, engine_socket):
    """Two settle the same half-made record at once (the retry and the reconciler at start):
    the one whose listing still names a container the other has just removed rolls back too,
    instead of failing on the engine's 404 (found by the crash suite, seed 1305284197)."""
    from cloudfold.db.models import Resource
    from cloudfold.domain.context import SYSTEM
    from cloudfold.domain.localcloud import core, reconcile
    from cloudfold.drivers.local import provision

    made = client.post("/instances", json={"name": "raced-i", "image": IMAGE, "command": ["sleep", "300"]},
                       headers=member.headers)
    assert made.status_code == 201, made.text
    rt = client.app.state.runtime
    with db(client) as s:
        obj = s.get(CloudObject, made.json()["id"])
        obj.worker_id = dead_worker(client)
        s.execute(update(Resource).where(Resource.id == obj.resource_id)
                  .values(status="creating", external_id=f"{core.PENDING}{obj.id}", manual=True,
                          meta={core.ANSWERED: False}))
        s.commit()
        cloud = core.Cloud(s, SYSTEM, rt.events, rt.secretbox, rt.settings)
        with core.engine(cloud, obj.resource.account) as driver:
            stale = [m for m in provision.made_objects(driver) if m.object_id == obj.id]
            assert [m.kind for m in stale] == ["container"]
            provision.remove_made(driver, stale[0])  # the other settler was first
            assert reconcile._settle(cloud, driver, obj, stale) == "rolled back"
    assert objects(client, "instance") == 0 and engine_containers(engine_socket, "raced-i") == []
