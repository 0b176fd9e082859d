"""The inventory counts the database keeps (`resource_counts`, triggers of migration 0009) stay
exact through every kind of write — the sync's bulk upsert and vanish, hand-made records
created, changed and deleted over HTTP, an account's cascade — and each viewer's totals and
dashboard figures match a full count of the records that viewer may see."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from cloudfold.db.models import Account, Resource, ResourceCount, User
from cloudfold.db.models.resource_counts import COST_SCALE
from cloudfold.domain import inventory, policy, users
from cloudfold.domain.sync import _mark_vanished, upsert_page
from cloudfold.drivers.base import Discovered
from helpers_api import db

pytestmark = pytest.mark.database  # triggers and upserts: also run on PostgreSQL in CI

GROUP = ("provider", "kind", "region", "status", "vanished")


def full_count(session, viewer) -> dict:
    """The oracle: every visible record counted from `resources` itself."""
    cols = [getattr(Resource, c) for c in GROUP]
    rows = session.execute(policy.resources(select(*cols, func.count(Resource.id), func.sum(
        func.coalesce(Resource.cost_per_hour, 0.0))), viewer).group_by(*cols)).all()
    return {(p, k, r or "", s, bool(v)): (n, round(float(c), 6)) for p, k, r, s, v, n, c in rows}


def kept(session, viewer) -> dict:
    cols = [getattr(ResourceCount, c) for c in GROUP]
    rows = session.execute(policy.resource_counts(select(*cols, func.sum(ResourceCount.n), func.sum(
        ResourceCount.cost_micros)), viewer).group_by(*cols).having(func.sum(ResourceCount.n) > 0)).all()
    return {(p, k, r, s, bool(v)): (int(n), round(int(c) / COST_SCALE, 6)) for p, k, r, s, v, n, c in rows}


def principal(session, account) -> object:
    return users.principal_for(session.scalar(select(User).where(User.email == account.email)))


def live_compute(figures: dict) -> int:
    return sum(n for (_, kind, _, _, vanished), (n, _) in figures.items() if kind in inventory.COMPUTE and not vanished)


def check(client, viewers) -> None:
    """For every viewer: kept == oracle, and the HTTP figures say the same."""
    with db(client) as session:
        expected = {a.email: full_count(session, principal(session, a)) for a in viewers}
        for a in viewers:
            assert kept(session, principal(session, a)) == expected[a.email], a.email
    for a in viewers:
        r = client.get("/inventory/vms", params={"limit": 1}, headers=a.headers)
        assert r.status_code == 200, r.text
        assert int(r.headers["X-Total-Count"]) == live_compute(expected[a.email])
        stats = client.get("/dashboard/stats", headers=a.headers).json()
        assert stats["total_resources"] == sum(n for k, (n, _) in expected[a.email].items() if not k[4])


def machines(prefix: str, n: int, status: str = "running", cost: float | None = 0.0125) -> list[Discovered]:
    return [Discovered(kind="vm" if i % 3 else "container", external_id=f"{prefix}-{i}", name=f"{prefix}{i}",
                       status=status, region="eu-west-1" if i % 2 else None, cost_per_hour=cost)
            for i in range(n)]


@pytest.fixture
def world(client, admin, member, make_account):
    other = make_account("member")
    with db(client) as session:
        ids = {a.email: session.scalar(select(User.id).where(User.email == a.email)) for a in (member, other)}
        accounts = [Account(slug=f"kc-{name}", provider_type="aws", display_name=name, region="us-east-1",
                            config={}, owner_id=owner) for name, owner in
                    (("alice", ids[member.email]), ("bob", ids[other.email]), ("shared", None))]
        session.add_all(accounts)
    return admin, member, other, accounts


def sync_pass(client, account: Account, page: list[Discovered], generation: int) -> None:
    """The sync's own write path: its bulk upsert of a page, then marking what it did not see."""
    with db(client) as session:
        fresh = session.get(Account, account.id)
        upsert_page(session, fresh, page, generation)
        _mark_vanished(session, fresh, generation)


def test_counts_stay_exact_through_sync_vanish_create_change_delete_and_cascade(client, world):
    admin, alice, bob, (a_acct, b_acct, shared) = world
    viewers = (admin, alice, bob)
    check(client, viewers)

    sync_pass(client, a_acct, machines("a", 30), 1)
    sync_pass(client, b_acct, machines("b", 12, cost=None), 1)
    sync_pass(client, shared, machines("s", 7), 1)
    check(client, viewers)

    # a later sync: some change status and cost (bulk update), some vanish, one comes back
    sync_pass(client, a_acct, machines("a", 20, status="stopped", cost=0.5), 2)
    sync_pass(client, a_acct, machines("a", 20, status="stopped", cost=0.5), 3)  # nothing changes
    check(client, viewers)
    sync_pass(client, a_acct, machines("a", 25, status="running"), 4)  # five come back from vanished
    check(client, viewers)

    # hand-made records over HTTP: created by each member, changed, deleted
    made = {}
    for who in (alice, bob):
        for i, kind in enumerate(("vm", "container", "volume")):
            r = client.post("/api/resources", headers=who.headers, json={
                "name": f"hand{i}", "resource_type": kind, "status": "running", "cost_per_hour": 0.25 * (i + 1)})
            assert r.status_code == 201, r.text
            made.setdefault(who.email, []).append(r.json()["id"])
    check(client, viewers)
    first = made[alice.email][0]
    r = client.put(f"/api/resources/{first}", headers=alice.headers, json={"status": "stopped", "cost_per_hour": 2})
    assert r.status_code == 200, r.text
    r = client.put(f"/api/resources/{first}", headers=bob.headers, json={"status": "running"})
    assert r.status_code == 404  # someone else's: refused, and the counts do not move
    check(client, viewers)
    assert client.delete(f"/api/resources/{made[bob.email][1]}", headers=bob.headers).status_code == 204
    assert client.delete(f"/api/resources/{made[bob.email][0]}", headers=alice.headers).status_code == 404
    check(client, viewers)

    # an account removed with its records (the database's cascade)
    with db(client) as session:
        session.delete(session.get(Account, b_acct.id))
    check(client, viewers)
    with db(client) as session:
        assert session.scalar(select(func.count()).select_from(Resource).where(
            Resource.account_id == b_acct.id)) == 0


def test_a_member_sees_only_their_own_and_shared_figures(client, world):
    admin, alice, bob, (a_acct, b_acct, shared) = world
    sync_pass(client, a_acct, machines("a", 9), 1)
    sync_pass(client, b_acct, machines("b", 4, cost=0.5), 1)
    sync_pass(client, shared, machines("s", 2), 1)
    totals = {a.email: int(client.get("/inventory/vms", params={"limit": 1}, headers=a.headers)
                           .headers["X-Total-Count"]) for a in (admin, alice, bob)}
    assert totals == {admin.email: 15, alice.email: 11, bob.email: 6}
    stats = client.get("/dashboard/stats", headers=bob.headers).json()
    assert stats["total_resources"] == 6 and stats["active_vms"] == 6
    assert stats["estimated_monthly_cost"] == round((4 * 0.5 + 2 * 0.0125) * 730, 2)  # his own and the shared
    check(client, (admin, alice, bob))
