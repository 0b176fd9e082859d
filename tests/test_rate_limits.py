"""Rate limits (seed 000): per IP on auth routes and bad credentials, per user elsewhere;
429 RATE_LIMITED with Retry-After; audited as blocked; shared through Redis; proxy-aware."""

from __future__ import annotations

import pytest

from conftest import PASSWORD, assert_error
from helpers_api import audit_page, flush_refusals, key_headers, new_request_id, signup
from helpers_redis import closed_redis_url, redis_keys, redis_server, redis_url  # noqa: F401  (fixtures)


def assert_limited(response) -> int:
    """A 429 in the error shape with a sane Retry-After; returns the seconds to wait."""
    body = assert_error(response, 429, "RATE_LIMITED")
    retry_after = response.headers["retry-after"]
    assert retry_after.isdigit(), retry_after
    assert 1 <= int(retry_after) <= 60
    assert body["detail"] == {"retry_after": int(retry_after)}
    return int(retry_after)


def login(client, email: str, password: str = PASSWORD):
    return client.post("/auth/login", json={"email": email, "password": password})


def test_signup_is_limited_per_ip(make_client):
    c = make_client(rate_limit_auth="3/minute")
    assert [signup(c).status_code for _ in range(3)] == [201, 201, 201]
    assert_limited(signup(c))
    assert_limited(signup(c))


def test_login_is_limited_per_ip_whatever_the_outcome(make_client, member):
    c = make_client(rate_limit_auth="3/minute")
    assert login(c, member.email, "wrong-password").status_code == 401
    assert login(c, member.email).status_code == 200
    assert login(c, "nobody@example.com").status_code == 401
    assert_limited(login(c, member.email))


def test_auth_routes_share_one_budget(make_client):
    c = make_client(rate_limit_auth="3/minute")
    assert signup(c).status_code == 201
    assert login(c, "nobody@example.com").status_code == 401
    assert c.post("/auth/forgot-password", json={"email": "nobody@example.com"}).status_code == 200
    assert_limited(c.post("/auth/register", json={"email": "late@example.com", "password": PASSWORD}))


def test_authenticated_requests_are_limited_per_user(make_client, member, make_account):
    other = make_account("member")
    c = make_client(rate_limit_default="5/minute")
    assert [c.get("/auth/keys", headers=member.headers).status_code for _ in range(5)] == [200] * 5
    assert_limited(c.get("/auth/keys", headers=member.headers))
    assert_limited(c.get("/auth/me", headers=member.headers))
    assert c.get("/auth/keys", headers=other.headers).status_code == 200


def test_bad_credential_floods_are_limited_per_ip(make_client, member):
    c = make_client(rate_limit_default="5/minute")
    bad = key_headers("cfk_guessing")
    assert [c.get("/auth/keys", headers=bad).status_code for _ in range(5)] == [401] * 5
    assert_limited(c.get("/auth/keys", headers=bad))
    assert_limited(c.get("/auth/keys"))
    assert_limited(c.get("/auth/keys", headers={"Authorization": "Bearer not.a.jwt"}))
    # A valid key counts against its user, not against the flooded IP.
    assert c.get("/auth/keys", headers=member.headers).status_code == 200


def test_a_429_is_audited_as_blocked(make_client, admin):
    c = make_client(rate_limit_auth="1/minute")
    assert signup(c).status_code == 201
    request_id = new_request_id()
    r = c.post("/auth/signup", json={"email": "x@example.com", "password": PASSWORD},
               headers={"X-Request-ID": request_id})
    assert_limited(r)
    flush_refusals(c)  # anonymous refusals are counted in memory and written every few seconds
    events = audit_page(admin.client, admin.headers, result="blocked")["events"]
    matching = [e for e in events if e["request_id"] == request_id]
    assert len(matching) == 1, events
    event = matching[0]
    assert event["status_code"] == 429 and event["action"] == "POST /auth/signup"
    assert event["result"] == "blocked" and event["actor"] == "anonymous"


def test_a_user_429_is_audited_under_the_user(make_client, member):
    c = make_client(rate_limit_default="1/minute")
    assert c.get("/auth/keys", headers=member.headers).status_code == 200
    assert_limited(c.get("/auth/keys", headers=member.headers))
    blocked = audit_page(member.client, member.headers, result="blocked")["events"]
    assert [(e["status_code"], e["action"]) for e in blocked] == [(429, "GET /auth/keys")]


def test_memory_limits_are_per_instance(make_client):
    a = make_client(rate_limit_auth="2/minute")
    b = make_client(rate_limit_auth="2/minute")
    assert [signup(a).status_code for _ in range(2)] == [201, 201]
    assert_limited(signup(a))
    assert signup(b).status_code == 201


def test_redis_shares_one_window_between_instances(make_client, redis_url):  # noqa: F811
    a = make_client(rate_limit_auth="3/minute", redis_url=redis_url)
    b = make_client(rate_limit_auth="3/minute", redis_url=redis_url)
    assert [signup(a).status_code, signup(b).status_code, signup(a).status_code] == [201, 201, 201]
    assert_limited(signup(b))
    assert_limited(signup(a))
    assert any("auth" in k for k in redis_keys(redis_url)), redis_keys(redis_url)


def test_redis_user_limit_is_shared(make_client, member, redis_url):  # noqa: F811
    a = make_client(rate_limit_default="4/minute", redis_url=redis_url)
    b = make_client(rate_limit_default="4/minute", redis_url=redis_url)
    assert [c.get("/auth/keys", headers=member.headers).status_code for c in (a, b, a, b)] == [200] * 4
    assert_limited(a.get("/auth/keys", headers=member.headers))


def test_unreachable_redis_still_limits_per_instance(make_client):
    c = make_client(rate_limit_auth="2/minute", redis_url=closed_redis_url())
    assert [signup(c).status_code for _ in range(2)] == [201, 201]
    assert_limited(signup(c))


def test_trusted_proxy_forwarded_for_separates_clients(make_client, admin):
    c = make_client(rate_limit_auth="2/minute", trusted_proxies=["testclient"])
    first, second = "203.0.113.7", "198.51.100.9"
    assert [signup(c, forwarded_for=first).status_code for _ in range(2)] == [201, 201]
    assert_limited(signup(c, forwarded_for=first))
    assert signup(c, forwarded_for=second).status_code == 201
    # The proxy itself appends the client: the right-most untrusted address counts.
    assert_limited(signup(c, forwarded_for=f"{second}, {first}"))
    ips = {e["actor_ip"] for e in audit_page(admin.client, admin.headers, action="user.register")["events"]}
    assert {first, second} <= ips


@pytest.mark.parametrize("trusted", [[], ["10.0.0.1"]], ids=["no-proxies", "other-proxy"])
def test_forwarded_for_is_ignored_from_untrusted_peers(make_client, admin, trusted):
    c = make_client(rate_limit_auth="2/minute", trusted_proxies=trusted)
    assert signup(c, forwarded_for="203.0.113.7").status_code == 201
    assert signup(c, forwarded_for="198.51.100.9").status_code == 201
    assert_limited(signup(c, forwarded_for="192.0.2.1"))
    ips = {e["actor_ip"] for e in audit_page(admin.client, admin.headers, action="user.register")["events"]}
    assert not ips & {"203.0.113.7", "198.51.100.9", "192.0.2.1"}


def test_health_probes_are_not_rate_limited(make_client):
    client = make_client(rate_limit_default="2/minute")
    codes = [client.get(path).status_code for path in ("/health/live", "/health/ready", "/health") for _ in range(4)]
    assert set(codes) == {200}
    statuses = [client.get("/api/health").status_code for _ in range(3)]
    assert statuses[-1] == 429
