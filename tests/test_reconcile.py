"""The reconciler (domain/localcloud/reconcile.py) on a real engine: an instance whose process died
mid-create is completed with its owner when its id was answered, rolled back when it was not;
an engine object whose record is gone is removed when it is this installation's and its maker
is dead, and left alone when it belongs to another installation or a live process."""

from __future__ import annotations

import subprocess
import sys
import uuid

import pytest
from sqlalchemy import select

from cloudfold.db.models import CloudObject, Resource, User
from cloudfold.domain import workers
from cloudfold.domain.localcloud import core, reconcile
from engine import IMAGE
from helpers_api import db
from localcloud_support import LABELS, client, labelled_local_account, launch  # noqa: F401  (fixtures)

pytestmark = pytest.mark.database


def _dead_process() -> str:
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return f"dead-{child.stdout.strip()}"  # no workers row: not alive


def _strand(client, instance_id: str, answered: bool) -> str:
    """Put the instance back as a dead process left it: reserved, `creating`, its engine object made."""
    with db(client) as s:
        obj = s.get(CloudObject, instance_id)
        container = obj.resource.external_id
        obj.resource.external_id, obj.resource.status = f"{core.PENDING}{obj.id}", "creating"
        obj.resource.manual, obj.resource.meta = True, {core.ANSWERED: answered}
        obj.worker_id = _dead_process()
    return container


def _reconcile(client) -> dict:
    runtime = client.app.state.runtime
    with runtime.sessions() as s:
        return reconcile.reconcile(s, runtime, runtime.settings)


def test_an_answered_half_made_instance_is_completed_with_its_owner(client, member, engine):
    inst = launch(member)
    container = _strand(client, inst["id"], answered=True)
    done = _reconcile(client)
    assert done["local"]["completed"] == 1, done
    with db(client) as s:
        obj = s.get(CloudObject, inst["id"])
        assert (obj.resource.external_id, obj.resource.status, obj.worker_id) == (container, "running", None)
        assert obj.resource.owner_id == obj.owner_id == s.scalar(select(User.id).where(User.email == member.email))
        assert len(s.scalars(select(Resource).where(Resource.external_id == container)).all()) == 1
    assert [i["id"] for i in client.get("/instances", headers=member.headers).json()] == [inst["id"]]


def test_an_unanswered_half_made_instance_is_rolled_back(client, member, engine):
    inst = launch(member)
    container = _strand(client, inst["id"], answered=False)
    assert _reconcile(client)["local"]["rolled back"] == 1
    assert not engine.containers.list(all=True, filters={"id": container})
    with db(client) as s:
        assert s.get(CloudObject, inst["id"]) is None
    assert client.get("/instances", headers=member.headers).json() == []


def test_orphans_are_removed_only_when_ours_and_their_maker_is_dead(client, member, engine):
    with db(client) as s:
        mine = s.scalar(select(User.uuid).where(User.email == member.email))

    def run(owner: str, worker: str):
        labels = {**LABELS, "cloudfold.id": str(uuid.uuid4()), "cloudfold.owner": owner, "cloudfold.worker": worker}
        return engine.containers.create(IMAGE, ["sleep", "60"], labels=labels)

    orphan, foreign, in_flight = run(mine, _dead_process()), run(str(uuid.uuid4()), _dead_process()), \
        run(mine, workers.PROCESS)
    assert _reconcile(client)["local"]["removed"] == 1
    left = {c.id for c in engine.containers.list(all=True, filters={"label": [f"{k}={v}" for k, v in LABELS.items()]})}
    assert orphan.id not in left and {foreign.id, in_flight.id} <= left
