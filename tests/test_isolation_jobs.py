"""A queued job runs with its caller's rights as they are when it runs: a caller whose key was
revoked, whose account was disabled, whose session ended with a password reset, or whose role
was lowered, has the job fail ("caller no longer authorised" / refused) and nothing change."""

from __future__ import annotations

import time

import pytest

from auth_support import request_reset_token, reset, update_user
from cloudfold.db.models import Task
from cloudfold.domain import actions, auth
from cloudfold.domain.context import Context
from helpers_api import create_key, db
from inventory_support import sync
from localcloud_support import client, labelled_local_account  # noqa: F401

pytestmark = pytest.mark.database  # also run on PostgreSQL in CI


@pytest.fixture
def running(client, admin, make_container):
    """A container of the shared local account, running, as its inventory record's id."""
    made = make_container()
    sync(admin, "local")
    rows = client.get("/api/resources", params={"provider_id": "local", "limit": 1000}, headers=admin.headers).json()
    return made, next(r["id"] for r in rows if r["external_id"] == made.id)


def _queue_stop(client, credential: str, resource_id: int) -> tuple[dict, int]:
    """What `actions.enqueue` puts on the queue for this caller (the request's checks passed)."""
    runtime = client.app.state.runtime
    with db(client) as session:
        principal = auth.resolve(session, runtime.jwt_secret, credential)
        payload = {"resource_id": resource_id, "action": "stop", "via": "test", "options": {"timeout": 0},
                   **actions.identity(Context(principal=principal), session)}
    return payload, principal.user_id


def _run(client, payload: dict, owner_id: int) -> Task:
    task_id = client.app.state.runtime.queue.enqueue("resource.action", payload, owner_id)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with db(client) as session:
            task = session.get(Task, task_id)
            if task.status in ("succeeded", "failed"):
                return task
        time.sleep(0.1)
    raise AssertionError("the job did not finish")


def _revoke(client, admin, credential: str, key: dict | None) -> None:
    assert client.delete(f"/auth/keys/{key['id']}", headers={"X-API-Key": credential}).status_code == 204


def _disable(client, admin, credential: str, key: dict | None) -> None:
    update_user(client, admin.email, is_active=False)


def _reset(client, admin, credential: str, key: dict | None) -> None:
    assert reset(client, request_reset_token(client, admin.email)).status_code == 200


def _demote(client, admin, credential: str, key: dict | None) -> None:
    update_user(client, admin.email, role="member")


@pytest.mark.parametrize(("end", "by", "message"), [
    (_revoke, "key", "caller no longer authorised: the API key was revoked"),
    (_disable, "key", "caller no longer authorised: the account is disabled"),
    (_disable, "jwt", "caller no longer authorised: the account is disabled"),
    (_reset, "jwt", "caller no longer authorised: the session ended"),
    (_demote, "key", "Only an admin can stop a shared machine"),
    (_demote, "jwt", "Only an admin can stop a shared machine"),
])
def test_a_job_whose_caller_lost_the_right_changes_nothing(client, admin, running, end, by, message):
    made, resource_id = running
    key = create_key(client, admin.headers, name="job", scopes=["read", "write", "admin"])
    credential = key["key"] if by == "key" else admin.jwt()
    payload, owner = _queue_stop(client, credential, resource_id)
    end(client, admin, credential, key)
    task = _run(client, payload, owner)
    assert task.status == "failed" and message in task.error, task.error
    made.reload()
    assert made.status == "running"


def test_a_job_whose_caller_keeps_the_right_runs(client, admin, running):
    made, resource_id = running
    payload, owner = _queue_stop(client, admin.key, resource_id)
    task = _run(client, payload, owner)
    assert task.status == "succeeded", task.error
    made.reload()
    assert made.status == "exited"
