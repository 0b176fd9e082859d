import pytest

from conftest import assert_error

pytestmark = pytest.mark.database  # also run on PostgreSQL in CI


def test_health_and_login_roundtrip(client, member):
    assert client.get("/health").json()["status"] == "healthy"
    r = client.get("/auth/me", headers={"Authorization": f"Bearer {member.jwt()}"})
    assert r.status_code == 200 and r.json()["email"] == member.email
    assert_error(client.get("/auth/me"), 401, "UNAUTHORIZED")
