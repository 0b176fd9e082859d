"""Isolation between members, face by face (tables in isolation_support.py): a second member
can neither list, read, change, delete nor act on the first member's objects, nor change,
delete or act on the shared local account's records; nothing of the first member's leaks."""

from __future__ import annotations

import pytest

from conftest import assert_error
from isolation_support import LISTS, OWN, SHARED, alices_world, call  # noqa: F401
from localcloud_support import client, labelled_local_account  # noqa: F401

pytestmark = pytest.mark.database  # also run on PostgreSQL in CI


def _leaks(text: str, secrets: list[str], asked: str = "") -> list[str]:
    """The secrets in an answer, but for what the asker put in the request themselves."""
    return [s for s in secrets if str(s) in text and str(s) not in asked]


def _alices_view(alice, ids: dict) -> list:
    paths = ["/api/resources/{rid}", "/api/resources/{manual}", "/instances/{instance}", "/vpcs/{vpc}",
             "/subnets/{subnet}", "/volumes/{volume}", "/tasks/{task}", "/autoscaling/groups/{group}"]
    answers = [alice.client.get(p.format(**ids), headers=alice.headers) for p in paths]
    assert all(r.status_code == 200 for r in answers), [r.text for r in answers if r.status_code != 200]
    return [{k: v for k, v in r.json().items() if k not in ("last_synced", "updated_at", "logs", "progress")}
            for r in answers]


def test_a_member_cannot_reach_another_members_objects_through_any_face(client, member, make_account,
                                                                        alices_world):
    ids, secrets = alices_world
    bob, before = make_account(), _alices_view(member, ids)
    failures = []
    for method, path, body, allowed in OWN:
        asked = path.format(**ids)
        r = call(bob, method, asked, body)
        if r.status_code not in allowed or _leaks(r.text, secrets, asked):
            failures.append((method, path, r.status_code, _leaks(r.text, secrets, asked), r.text[:200]))
        else:
            assert_error(r, r.status_code, "NOT_FOUND" if r.status_code == 404 else "FORBIDDEN")
    assert failures == [], "\n".join(map(str, failures))
    assert _alices_view(member, ids) == before  # nothing bob tried changed anything


def test_lists_and_sums_name_nothing_of_another_member(client, member, make_account, alices_world):
    ids, secrets = alices_world
    bob = make_account()
    for path in LISTS:
        r = call(bob, "get", path)
        assert r.status_code == 200, (path, r.text)
        assert _leaks(r.text, secrets) == [], path
    # and alice herself sees her things where the lists show them
    mine = call(member, "get", "/api/resources?limit=1000").text
    assert all(s in mine for s in (secrets[8], secrets[9]))


def test_the_shared_account_is_readable_but_only_admins_change_it(client, admin, member, make_account,
                                                                  alices_world):
    ids, _ = alices_world
    bob = make_account()
    shared_before = call(admin, "get", "/api/resources/{shared_rid}".format(**ids)).json()
    failures = []
    for method, path, body, status in SHARED:
        r = call(bob, method, path.format(**ids), body)
        if r.status_code != status:
            failures.append((method, path, r.status_code, r.text[:200]))
    assert failures == []
    shared_after = call(admin, "get", "/api/resources/{shared_rid}".format(**ids)).json()
    assert (shared_after["status"], shared_after["tags"], shared_after["cost_per_hour"]) == (
        shared_before["status"], shared_before["tags"], shared_before["cost_per_hour"])
    assert call(bob, "get", "/api/providers/local").json()["display_name"] != "bob's now"
    # an admin may do what bob may not
    r = call(admin, "put", "/api/resources/{shared_rid}".format(**ids), {"tags": {"x": "admin"}})
    assert r.status_code == 200 and r.json()["tags"] == {"x": "admin"}
    assert call(admin, "get", "/services/{shared_service}/logs".format(**ids)).status_code == 200


def test_the_owner_keeps_every_right_on_their_own_objects(client, member, alices_world):
    ids, _ = alices_world
    assert call(member, "get", "/services/{service}/logs".format(**ids)).status_code == 200
    r = call(member, "put", "/api/resources/{manual}".format(**ids), {"name": "renamed"})
    assert r.status_code == 200 and r.json()["name"] == "renamed"
    r = call(member, "post", "/api/resources/{rid}/action".format(**ids), {"action": "stop"})
    assert r.status_code == 200, r.text
    assert call(member, "delete", "/api/resources/{manual}".format(**ids)).status_code == 204


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_a_container_cloudfold_made_stays_its_makers_after_its_record_is_lost(client, admin, member, make_account,
                                                                             alices_world, role):
    """The engine object carries its maker's uuid: a sync that finds it again (its record
    dropped) gives the new record that owner, never the shared account's everyone."""
    ids, secrets = alices_world
    from cloudfold.db.models import Resource
    from helpers_api import db

    with db(client) as session:
        row = session.get(Resource, ids["rid"])
        external_id, name = row.external_id, row.name
        row.external_id = f"lost-{external_id}"  # the record no longer names the engine object
    from inventory_support import sync

    sync(admin, "local")
    with db(client) as session:
        from sqlalchemy import select

        found = session.scalar(select(Resource).where(Resource.external_id == external_id))
        assert found is not None and found.id != ids["rid"]
        owner = found.owner_id
    from auth_support import user_row

    assert owner == user_row(client, member.email).id
    other = make_account(role)
    assert name not in call(other, "get", "/api/resources?limit=1000").text
