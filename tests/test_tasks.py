"""Background tasks: jobs run on the queue, GET /tasks/{id} shows status, result and logs to
the owner and admins; the built-in housekeeping job drops stale idempotency records."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from cloudfold.db.models import IdempotencyRecord, Task
from cloudfold.domain import tasks as task_domain
from cloudfold.jobs import job
from conftest import assert_error
from helpers_api import db, me, wait_for_task, wait_until

pytestmark = pytest.mark.database  # also run on PostgreSQL in CI

TASK_FIELDS = {"task_id", "name", "status", "progress", "result", "error", "created_at", "started_at",
               "finished_at", "logs"}


@job("test.echo")
def echo_job(ctx, payload):
    ctx.log("starting")
    ctx.progress(0.5, "halfway")
    ctx.progress(0.75)
    ctx.log("done")
    return {"echo": payload}


@job("test.fail")
def failing_job(ctx, payload):
    ctx.log("about to fail")
    raise ValueError(f"boom: {payload.get('why')}")


def enqueue(client, name: str, payload: dict, owner=None) -> str:
    owner_id = me(client, owner.headers)["id"] if owner is not None else None
    return client.app.state.runtime.queue.enqueue(name, payload, owner_id=owner_id)


def messages(task: dict) -> list[str]:
    return [line["message"] for line in task["logs"]]


def test_a_job_succeeds_with_result_progress_and_logs(client, member):
    task_id = enqueue(client, "test.echo", {"x": 1, "words": ["a", "b"]}, owner=member)
    task = wait_for_task(client, member.headers, task_id)
    assert set(task) == TASK_FIELDS
    assert task["task_id"] == task_id and task["name"] == "test.echo"
    assert task["status"] == "succeeded" and task["error"] is None
    assert task["result"] == {"echo": {"x": 1, "words": ["a", "b"]}}
    assert task["progress"] == 1.0
    assert messages(task) == ["starting", "halfway", "done"]
    stamps = ("created_at", "started_at", "finished_at")
    times = [datetime.fromisoformat(task[k].replace("Z", "+00:00")) for k in stamps]
    assert times == sorted(times)
    log_times = [line["time"] for line in task["logs"]]
    assert log_times == sorted(log_times)


def test_a_failing_job_records_its_error(client, member):
    task_id = enqueue(client, "test.fail", {"why": "on purpose"}, owner=member)
    task = wait_for_task(client, member.headers, task_id)
    assert task["status"] == "failed" and task["result"] is None
    assert task["error"] == "ValueError: boom: on purpose"
    assert messages(task) == ["about to fail"]
    assert task["finished_at"] is not None and task["progress"] < 1.0


def test_the_worker_survives_a_failed_job(client, member):
    failed = enqueue(client, "test.fail", {}, owner=member)
    ok = enqueue(client, "test.echo", {"after": "failure"}, owner=member)
    assert wait_for_task(client, member.headers, failed)["status"] == "failed"
    assert wait_for_task(client, member.headers, ok)["result"] == {"echo": {"after": "failure"}}


def test_tasks_are_visible_to_their_owner_and_admins_only(client, member, admin, make_account):
    other = make_account("member")
    task_id = enqueue(client, "test.echo", {"secret": "owner-only"}, owner=member)
    assert wait_for_task(client, member.headers, task_id)["status"] == "succeeded"
    assert wait_for_task(client, admin.headers, task_id)["result"] == {"echo": {"secret": "owner-only"}}
    body = assert_error(client.get(f"/tasks/{task_id}", headers=other.headers), 404, "NOT_FOUND")
    assert "owner-only" not in str(body)
    assert_error(client.get(f"/tasks/{task_id}"), 401, "UNAUTHORIZED")


def test_ownerless_tasks_are_for_admins(client, member, admin):
    task_id = enqueue(client, "test.echo", {"system": True})
    assert wait_for_task(client, admin.headers, task_id)["status"] == "succeeded"
    assert_error(client.get(f"/tasks/{task_id}", headers=member.headers), 404, "NOT_FOUND")


@pytest.mark.parametrize("task_id", [str(uuid.uuid4()), "not-a-task"], ids=["unknown-uuid", "not-a-task"])
def test_unknown_task_is_404(client, member, admin, task_id):
    assert_error(client.get(f"/tasks/{task_id}", headers=member.headers), 404, "NOT_FOUND")
    assert_error(client.get(f"/tasks/{task_id}", headers=admin.headers), 404, "NOT_FOUND")


def test_enqueueing_an_unknown_job_is_refused(client):
    with pytest.raises(KeyError):
        client.app.state.runtime.queue.enqueue("test.no-such-job", {})


def test_a_starting_process_runs_pending_and_fails_interrupted_tasks(client, make_client, admin):
    with db(client) as session:
        pending = task_domain.create(session, "test.echo", {"left": "pending"}, None).id
        running = task_domain.create(session, "test.echo", {"left": "running"}, None).id
        session.get(Task, running).status = "running"
    make_client()  # a new process on the same database
    assert wait_for_task(client, admin.headers, pending)["result"] == {"echo": {"left": "pending"}}
    interrupted = wait_for_task(client, admin.headers, running)
    assert interrupted["status"] == "failed" and "interrupted" in interrupted["error"]


def post_with_key(client, headers, idem: str, name: str):
    return client.post("/auth/keys", json={"name": name}, headers={**headers, "Idempotency-Key": idem})


def test_housekeeping_drops_stale_idempotency_records(client, member, admin):
    assert post_with_key(client, member.headers, "stale", "first").status_code == 201
    assert post_with_key(client, member.headers, "fresh", "first").status_code == 201
    with db(client) as session:
        stale = session.scalar(select(IdempotencyRecord).where(IdempotencyRecord.key == "stale"))
        stale.created_at = datetime.now(timezone.utc) - timedelta(hours=25)

    task = wait_for_task(client, admin.headers, enqueue(client, "housekeeping", {}))
    assert task["status"] == "succeeded"
    assert task["result"] == {"idempotency_records": 1, "reset_tokens": 0, "revoked_tokens": 0}
    assert messages(task) == ["removed 1 idempotency record(s), 0 reset token(s) and 0 expired revocation(s)"]
    with db(client) as session:
        assert set(session.scalars(select(IdempotencyRecord.key))) == {"fresh"}
    # The stale key is free again; the fresh one still guards its request.
    r = post_with_key(client, member.headers, "stale", "second")
    assert r.status_code == 201 and "idempotent-replayed" not in r.headers
    assert_error(post_with_key(client, member.headers, "fresh", "second"), 409, "CONFLICT")


def test_housekeeping_runs_on_its_schedule(make_client):
    c = make_client(housekeeping_interval_seconds=1)

    def housekeeping_done():
        with db(c) as session:
            return session.scalars(select(Task).where(Task.name == "housekeeping", Task.status == "succeeded")).all()

    done = wait_until(housekeeping_done, timeout=10, what="a scheduled housekeeping run")
    assert done[0].owner_id is None
