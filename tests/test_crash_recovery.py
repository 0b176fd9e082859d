"""What a dead process owned is taken over at once (domain/workers.py): its tasks fail as
interrupted, its sync lock is free for the next request (not after a timeout), its
idempotency records are released so a retry runs once; idempotent bodies are compared as
parsed JSON. The process is made dead for real: a child process that has exited."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from sqlalchemy import select, update

from cloudfold.db.base import utcnow
from cloudfold.db.models import Account, IdempotencyRecord, Task, Worker
from cloudfold.domain import workers
from helpers_api import db, list_keys
from inventory_support import register, wait_task

pytestmark = pytest.mark.database  # takeovers are UPDATEs racing other processes: PostgreSQL too


def dead_worker(client) -> str:
    """A workers row of a process on this host that has exited (its heartbeat still fresh)."""
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    worker_id = f"dead-{child.stdout.strip()}"
    with db(client) as s:
        s.add(Worker(id=worker_id, host=workers.HOST, pid=int(child.stdout), started_at=utcnow(),
                     heartbeat_at=utcnow()))
        s.commit()
    return worker_id


def test_the_same_json_with_keys_in_another_order_replays(client, member):
    headers = {**member.headers, "Idempotency-Key": "k1", "Content-Type": "application/json"}
    first = client.post("/auth/keys", content=json.dumps({"name": "a", "scopes": ["read"]}), headers=headers)
    again = client.post("/auth/keys", content=b'{ "scopes": ["read"],\n "name": "a" }', headers=headers)
    assert first.status_code == again.status_code == 201, again.text
    assert again.headers["idempotent-replayed"] == "true" and again.content == first.content
    other = client.post("/auth/keys", content=json.dumps({"name": "b", "scopes": ["read"]}), headers=headers)
    assert other.status_code == 409  # another body is still another request
    assert [k["name"] for k in list_keys(client, member.headers)].count("a") == 1


def _in_progress(client, member, key: str, worker_id: str) -> None:
    """The record a request under ``key`` leaves while it runs, as ``worker_id`` would."""
    first = client.post("/auth/keys", json={"name": "seed-record"}, headers={**member.headers, "Idempotency-Key": key})
    assert first.status_code == 201
    with db(client) as s:
        s.execute(update(IdempotencyRecord).where(IdempotencyRecord.key == key)
                  .values(status_code=None, body=None, headers=None, worker_id=worker_id))
        s.commit()


def test_a_dead_requests_idempotency_record_is_released_and_the_retry_runs_once(client, member):
    _in_progress(client, member, "cut-short", dead_worker(client))
    retry = client.post("/auth/keys", json={"name": "seed-record"},
                        headers={**member.headers, "Idempotency-Key": "cut-short"})
    assert retry.status_code == 201 and "idempotent-replayed" not in retry.headers, retry.text
    replay = client.post("/auth/keys", json={"name": "seed-record"},
                         headers={**member.headers, "Idempotency-Key": "cut-short"})
    assert replay.headers["idempotent-replayed"] == "true" and replay.json()["id"] == retry.json()["id"]


def test_a_live_requests_idempotency_record_still_answers_in_progress(client, member):
    _in_progress(client, member, "running", workers.PROCESS)  # this process: alive
    r = client.post("/auth/keys", json={"name": "seed-record"}, headers={**member.headers, "Idempotency-Key": "running"})
    assert r.status_code == 409 and "still in progress" in r.json()["message"]


def test_a_dead_syncs_lock_is_taken_over_by_the_next_request_at_once(client, admin, engine_socket):
    register(admin, "local", "podman", {"docker_host": engine_socket})
    dead = dead_worker(client)
    with db(client) as s:
        task = Task(name="inventory.sync", status="running", worker_id=dead, started_at=utcnow(), payload={})
        s.add(task)
        s.flush()
        s.execute(update(Account).where(Account.slug == "podman")
                  .values(sync_task_id=task.id, sync_running_since=utcnow()))  # a fresh heartbeat
        s.commit()
        dead_task = task.id
    r = client.post("/api/resources/sync/podman", headers=admin.headers)
    assert r.status_code == 202 and r.json()["merged"] is False and r.json()["task_id"] != dead_task, r.text
    done = wait_task(admin, r.json()["task_id"])
    assert done["status"] == "succeeded" and "seen" in done["result"], done
    with db(client) as s:
        assert s.get(Task, dead_task).status == "failed"
        assert s.get(Task, dead_task).error == workers.INTERRUPTED


def test_a_new_process_takes_over_what_a_dead_one_owned(make_client, member):
    first = make_client()
    dead = dead_worker(first)
    with db(first) as s:
        running = Task(name="housekeeping", status="running", worker_id=dead, started_at=utcnow(), payload={})
        live = Task(name="housekeeping", status="running", worker_id=workers.PROCESS, payload={})
        s.add_all([running, live])
        s.add(IdempotencyRecord(principal="p", key="k", request_hash="h", worker_id=dead))
        s.commit()
        ids = running.id, live.id
    second = make_client()  # its start takes over
    with db(second) as s:
        assert s.get(Task, ids[0]).status == "failed"
        assert s.get(Task, ids[1]).status == "running"  # a live process's task is left alone
        assert s.scalar(select(IdempotencyRecord).where(IdempotencyRecord.worker_id == dead)) is None
        assert s.get(Worker, dead) is None and s.get(Worker, workers.PROCESS) is not None
