"""Reads of a record still being made (seed 004's create task not yet done): the status answer
shows `creating`, no read refreshes the record or marks it gone, and an action (a DELETE
too) answers 409 "still being created" rather than racing the create task (issue 9)."""

from __future__ import annotations

import uuid

import pytest

from sqlalchemy import select

from cloudfold.db.models import CloudObject, Resource
from cloudfold.domain import inventory, workers
from cloudfold.domain.localcloud import core
from helpers_api import db
from inventory_support import wait_task
from localcloud_support import client, labelled_local_account  # noqa: F401  (fixtures)
from test_proxicloud_create import _create

pytestmark = pytest.mark.database


def _as_being_made(client, vmid: int) -> int:
    """Put the record back as a live create task holds it: reserved, `creating`, no engine object yet."""
    with db(client) as s:
        row = s.get(Resource, vmid - inventory.VMID_OFFSET)
        row.external_id, row.status, row.manual = f"{core.PENDING}{uuid.uuid4()}", "creating", True
        s.scalar(select(CloudObject).where(CloudObject.resource_id == row.id)).worker_id = workers.PROCESS


def test_reads_while_being_made_show_creating_and_mark_nothing_gone(client, admin, engine):
    made = _create(client, admin, hostname=f"pcc-{uuid.uuid4().hex[:8]}", start=False)
    assert wait_task(admin, made["task_id"])["status"] == "succeeded"
    vmid = made["vmid"]
    _as_being_made(client, vmid)

    r = client.get(f"/api/containers/{vmid}/status", headers=admin.headers)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "creating"
    assert client.get("/api/containers", headers=admin.headers).status_code == 200
    r = client.get(f"/api/containers/{vmid}", headers=admin.headers)
    assert r.status_code == 200 and r.json()["status"] == "creating", r.text
    with db(client) as s:
        row = s.get(Resource, vmid - inventory.VMID_OFFSET)
        assert (row.status, row.vanished) == ("creating", False)
    # an action now would race the create task (which would undo it): refused until it has
    # finished, with nothing changed and nothing queued
    for method, path in (("DELETE", f"/api/containers/{vmid}"), ("POST", f"/api/containers/{vmid}/start")):
        r = client.request(method, path, headers=admin.headers)
        assert r.status_code == 409 and "still being created" in r.json()["message"], r.text
    with db(client) as s:
        row = s.get(Resource, vmid - inventory.VMID_OFFSET)
        assert (row.status, row.vanished) == ("creating", False)
