"""The reconciler for subnets' networks and volumes (domain/localcloud/reconcile.py), on a real
engine: one a dead process left half-made (recorded, its engine object made, the record never
completed) is rolled back — engine object removed, record dropped, as its id was never
answered; a delete a dead process began (`deleting`) is finished; a live process's is left
alone."""

from __future__ import annotations

import pytest

from cloudfold.db.models import CloudObject
from cloudfold.domain import workers
from cloudfold.domain.localcloud import core
from helpers_api import db
from localcloud_support import LABELS, client, labelled_local_account, make  # noqa: F401  (fixtures)
from test_reconcile import _dead_process, _reconcile, _strand

pytestmark = pytest.mark.database


def _made(member) -> tuple[dict, dict]:
    vpc = make(member, "/vpcs", {"name": "rec-vpc"})
    subnet = make(member, f"/vpcs/{vpc['id']}/subnets", {"name": "rec-sub"})
    volume = make(member, "/volumes", {"name": "rec-vol", "size_gb": 1})
    return subnet, volume


def _on_engine(engine, object_id: str) -> int:
    wanted = {"label": f"cloudfold.id={object_id}"}
    return len(engine.networks.list(filters=wanted)) + len(engine.volumes.list(filters=wanted))


def _deleting(client, object_id: str, worker: str) -> None:
    with db(client) as s:
        obj = s.get(CloudObject, object_id)
        obj.resource.status, obj.worker_id = core.DELETING, worker


def test_a_half_made_subnet_and_volume_are_rolled_back(client, member, engine):
    subnet, volume = _made(member)
    for obj in (subnet, volume):
        _strand(client, obj["id"], answered=False)
        assert _on_engine(engine, obj["id"]) == 1
    done = _reconcile(client)["local"]
    assert (done["rolled back"], done["completed"]) == (2, 0), done
    assert _on_engine(engine, subnet["id"]) == _on_engine(engine, volume["id"]) == 0
    with db(client) as s:
        assert s.get(CloudObject, subnet["id"]) is None and s.get(CloudObject, volume["id"]) is None
    assert client.get(f"/subnets/{subnet['id']}", headers=member.headers).status_code == 404
    assert client.get("/volumes", headers=member.headers).json() == []


def test_a_dead_process_delete_is_finished_and_a_live_one_left_alone(client, member, engine):
    subnet, volume = _made(member)
    _deleting(client, subnet["id"], _dead_process())
    _deleting(client, volume["id"], workers.PROCESS)  # a live process is removing it right now
    done = _reconcile(client)["local"]
    assert (done["deleted"], done["removed"]) == (1, 0), done
    assert _on_engine(engine, subnet["id"]) == 0 and _on_engine(engine, volume["id"]) == 1
    with db(client) as s:
        assert s.get(CloudObject, subnet["id"]) is None
        kept = s.get(CloudObject, volume["id"])
        assert (kept.resource.status, kept.worker_id) == (core.DELETING, workers.PROCESS)
    assert client.get(f"/subnets/{subnet['id']}", headers=member.headers).status_code == 404


def test_create_and_delete_leave_no_process_on_the_record(client, member, engine):
    subnet, volume = _made(member)
    with db(client) as s:
        for obj in (subnet, volume):
            made = s.get(CloudObject, obj["id"])
            assert made.worker_id is None and not made.resource.external_id.startswith(core.PENDING)
    assert subnet["gateway"] and subnet["status"] not in ("creating", core.DELETING), subnet
    for path in (f"/subnets/{subnet['id']}", f"/volumes/{volume['id']}"):
        assert client.delete(path, headers=member.headers).status_code == 200
    assert _on_engine(engine, subnet["id"]) == _on_engine(engine, volume["id"]) == 0
    assert _reconcile(client)["local"] == {"completed": 0, "rolled back": 0, "deleted": 0, "removed": 0}


def test_a_delete_the_engine_fails_puts_the_record_back(client, admin, member, engine, engine_socket, tmp_path):
    _, volume = _made(member)

    def point_at(socket: str) -> None:
        r = client.put("/api/providers/local", json={"config": {"docker_host": socket, "labels": LABELS}},
                       headers=admin.headers)
        assert r.status_code == 200, r.text

    point_at(f"unix://{tmp_path}/no-engine.sock")
    try:
        r = client.delete(f"/volumes/{volume['id']}", headers=member.headers)
        assert r.status_code == 503, r.text
    finally:
        point_at(engine_socket)
    with db(client) as s:
        kept = s.get(CloudObject, volume["id"])
        assert (kept.resource.status, kept.worker_id) == (volume["status"], None)
    assert _on_engine(engine, volume["id"]) == 1
    assert client.delete(f"/volumes/{volume['id']}", headers=member.headers).status_code == 200
