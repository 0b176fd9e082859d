"""The short-lived API-key principal cache on the read path: a revocation here takes effect at
once, one made by another process (a write behind this app's back) within the cache's TTL, and
an expired key is refused whatever the cache holds."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest

from cloudfold.db.models import ApiKey, User
from cloudfold.domain.context import Principal
from cloudfold.domain.principal_cache import PrincipalCache
from conftest import assert_error
from helpers_api import create_key, key_headers

pytestmark = pytest.mark.database  # also run on PostgreSQL in CI

TTL = 5.0


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(client) -> Clock:
    """Give the app a cache on a clock the test moves."""
    fake = Clock()
    runtime = client.app.state.runtime
    runtime.principals.close()
    runtime.principals = PrincipalCache(TTL, clock=fake)
    yield fake
    runtime.principals.close()


def behind_the_apps_back(client, **values) -> None:
    """Change the key rows as another cloudfold process would (its own connection, no signal here)."""
    with client.app.state.runtime.sessions() as session:
        session.query(ApiKey).update(values)
        session.commit()


def status(client, key: str) -> int:
    return client.get("/auth/keys", headers=key_headers(key)).status_code


def test_revocation_in_another_process_takes_effect_within_the_ttl(client, member, clock):
    key = create_key(client, member.headers)["key"]
    assert status(client, key) == 200
    behind_the_apps_back(client, revoked_at=datetime.now(timezone.utc))
    clock.now += TTL - 0.1
    assert status(client, key) == 200  # still cached: the documented bound
    clock.now += 0.2
    body = assert_error(client.get("/auth/keys", headers=key_headers(key)), 401, "UNAUTHORIZED")
    assert "revoked" in body["message"]


def test_revocation_in_this_process_takes_effect_at_once(client, member, clock):
    created = create_key(client, member.headers)
    other = create_key(client, member.headers)["key"]
    assert status(client, created["key"]) == 200 and status(client, other) == 200
    assert client.delete(f"/auth/keys/{created['id']}", headers=key_headers(other)).status_code == 204
    assert status(client, created["key"]) == 401  # no clock move needed
    assert status(client, other) == 200


def test_rotation_ends_the_old_secret_at_once(client, member, clock):
    created = create_key(client, member.headers)
    assert status(client, created["key"]) == 200
    rotated = client.post(f"/auth/keys/{created['id']}/rotate", headers=key_headers(created["key"]))
    assert rotated.status_code == 200
    assert status(client, created["key"]) == 401
    assert status(client, rotated.json()["key"]) == 200


def test_an_expired_key_is_refused_even_while_cached(client, member, clock):
    key = create_key(client, member.headers)["key"]
    assert status(client, key) == 200
    past = datetime.now(timezone.utc) - timedelta(seconds=1)
    behind_the_apps_back(client, expires_at=past)
    clock.now += TTL + 1  # the entry is refreshed from the database, which now says expired
    assert status(client, key) == 401
    soon = datetime.now(timezone.utc) + timedelta(seconds=1)
    behind_the_apps_back(client, expires_at=soon)
    assert status(client, key) == 200  # cached with the key's expiry as a second bound
    behind_the_apps_back(client, expires_at=past)  # (not seen: the cache holds the old expiry)
    time.sleep(1.1)
    assert status(client, key) == 401  # the cached expiry passed: no clock move needed


def test_disabling_the_owner_is_seen_within_the_ttl(client, member, clock):
    key = create_key(client, member.headers)["key"]
    assert status(client, key) == 200
    with client.app.state.runtime.sessions() as session:
        session.query(User).filter(User.email == member.email).update({User.is_active: False})
        session.commit()
    clock.now += TTL + 0.1
    assert status(client, key) == 401


def test_a_wrong_key_is_never_cached(client, member, clock):
    key = create_key(client, member.headers)["key"]
    wrong = key[:-4] + ("aaaa" if not key.endswith("aaaa") else "bbbb")
    for _ in range(2):
        assert status(client, wrong) == 401
    assert status(client, key) == 200


def test_the_cache_is_bounded_and_off_at_zero():
    cache = PrincipalCache(TTL, max_entries=2)
    principal = Principal(user_id=1, user_uuid="u", email="e@example.com", role="member",
                          scopes=frozenset({"read"}), key_id="k")
    for i in range(5):
        cache.put(f"cfk_{i}", principal, None)
    assert len(cache._entries) <= 2
    off = PrincipalCache(0)
    off.put("cfk_x", principal, None)
    assert off.get("cfk_x") is None
    cache.close()
