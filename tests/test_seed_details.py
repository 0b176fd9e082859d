"""Seed details found wrong when tried (issue 9 item 8): e-mail addresses on the special-use
domains self-hosters use, instance names up to 64 characters, validation statuses per
document in the OpenAPI schema."""

from __future__ import annotations

import pytest

from conftest import PASSWORD, assert_error

SELF_HOSTED = ["ops@nas.local", "ops@box.lan", "ops@git.internal", "ops@router.home.arpa"]
REFUSED = ["ops@localhost", "ops@host.invalid", "ops@x.onion", "ops@1.2.in-addr.arpa"]


@pytest.mark.parametrize("email", SELF_HOSTED)
def test_self_hosted_domains_sign_up_on_both_faces_and_log_in(client, email):
    r = client.post("/auth/signup", json={"email": email, "password": PASSWORD})
    assert r.status_code == 201, r.text
    assert r.json()["email"] == email
    other = "two." + email
    r = client.post("/auth/register", json={"email": other, "password": PASSWORD})
    assert r.status_code == 201, r.text
    r = client.post("/auth/login", json={"email": other, "password": PASSWORD})
    assert r.status_code == 200 and r.json()["user"]["email"] == other


@pytest.mark.parametrize("email", REFUSED)
def test_other_special_use_domains_stay_refused(client, email):
    assert_error(client.post("/auth/signup", json={"email": email, "password": PASSWORD}), 422, "BAD_REQUEST")
    assert_error(client.post("/auth/register", json={"email": email, "password": PASSWORD}), 400, "BAD_REQUEST")


def test_openapi_documents_400_where_the_face_answers_400(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert "400" in paths["/instances"]["post"]["responses"] and "422" not in paths["/instances"]["post"]["responses"]
    assert "422" not in paths["/api/containers/{vmid}"]["get"]["responses"]
    assert "422" not in paths["/auth/register"]["post"]["responses"]
    assert "422" in paths["/auth/signup"]["post"]["responses"]
    assert "422" in paths["/inventory/vms"]["get"]["responses"]
