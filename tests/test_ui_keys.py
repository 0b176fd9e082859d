"""Settings and API keys over HTTP: a key made on the page is shown once and works on the API;
rotate replaces it, revoke ends it (both asked for confirmation); a viewer sees no buttons and
is refused anyway; nobody touches another user's key; a form without its token does nothing."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from ui_support import signed_in

SECRET = re.compile(r'id="new-key-value">([^<]+)<')


def key_ids(client, account) -> dict[str, str]:
    return {k["name"]: k["id"] for k in client.get("/auth/keys", headers=account.headers).json()}


def test_create_use_rotate_and_revoke(client, member):
    token = signed_in(client, member)
    page = client.get("/ui/settings").text
    assert 'id="create-key"' in page and member.email in page
    r = client.post("/ui/settings/keys", data={"csrf_token": token, "name": "ci", "scopes": "read",
                                               "expires_in_days": "30"})
    assert r.status_code == 201
    secret = SECRET.search(r.text).group(1)
    assert client.get("/api/providers", headers={"X-API-Key": secret}).status_code == 200
    assert client.post("/api/resources", json={"name": "x", "resource_type": "vm"},
                       headers={"X-API-Key": secret}).status_code == 403  # read only, as asked
    later = client.get("/ui/settings").text
    assert secret not in later and "ci" in later  # shown once
    kid = key_ids(client, member)["ci"]
    assert f'action="/ui/settings/keys/{kid}/revoke"' in later and "data-confirm=" in later
    r = client.post(f"/ui/settings/keys/{kid}/rotate", data={"csrf_token": token})
    assert r.status_code == 200 and "Rotated" in r.text
    rotated = SECRET.search(r.text).group(1)
    assert client.get("/api/providers", headers={"X-API-Key": secret}).status_code == 401
    assert client.get("/api/providers", headers={"X-API-Key": rotated}).status_code == 200
    new_id = key_ids(client, member)["ci"]
    r = client.post(f"/ui/settings/keys/{new_id}/revoke", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    assert client.get("/api/providers", headers={"X-API-Key": rotated}).status_code == 401
    assert "ci" not in key_ids(client, member)
    r = client.post(f"/ui/settings/keys/{new_id}/revoke", data={"csrf_token": token})
    assert r.status_code == 404  # already gone
    actions = [e["action"] for e in client.get("/monitor/audit", headers=member.headers).json()["events"]]
    assert {"apikey.create", "apikey.rotate", "apikey.revoke"} <= set(actions)


def test_bad_input_is_shown_next_to_the_field(client, member):
    token = signed_in(client, member)
    r = client.post("/ui/settings/keys", data={"csrf_token": token, "name": ""})
    assert r.status_code == 400 and 'id="name-error"' in r.text
    r = client.post("/ui/settings/keys", data={"csrf_token": token, "name": "k", "expires_in_days": "0"})
    assert r.status_code == 400 and 'id="expires_in_days-error"' in r.text
    r = client.post("/ui/settings/keys", data={"csrf_token": token, "name": "k", "expires_in_days": "soon"})
    assert r.status_code == 400 and 'id="expires_in_days-error"' in r.text
    r = client.post("/ui/settings/keys", data={"csrf_token": token, "name": "k", "scopes": "root"})
    assert r.status_code == 400 and 'id="scopes-error"' in r.text
    r = client.post("/ui/settings/keys", data={"csrf_token": token, "name": "k", "scopes": "admin"})
    assert r.status_code == 403 and "wider" in r.text  # the API's rule
    assert "k" not in key_ids(client, member)
    assert client.post("/ui/settings/keys", data={"name": "no-token"}).status_code == 403
    assert "no-token" not in key_ids(client, member)


def test_viewer_and_other_users(client, member, make_account):
    token = signed_in(client, member)
    client.post("/ui/settings/keys", data={"csrf_token": token, "name": "mine"})
    kid = key_ids(client, member)["mine"]
    other = TestClient(client.app, raise_server_exceptions=False)
    other_token = signed_in(other, make_account("member"))
    assert other.post(f"/ui/settings/keys/{kid}/revoke", data={"csrf_token": other_token}).status_code == 404
    assert other.post(f"/ui/settings/keys/{kid}/rotate", data={"csrf_token": other_token}).status_code == 404
    assert "mine" not in other.get("/ui/settings").text
    assert "mine" in key_ids(client, member)

    viewer = TestClient(client.app, raise_server_exceptions=False)
    viewer_token = signed_in(viewer, make_account("viewer"))
    page = viewer.get("/ui/settings").text
    assert 'id="create-key"' not in page and "data-action=" not in page
    r = viewer.post("/ui/settings/keys", data={"csrf_token": viewer_token, "name": "sneaky"})
    assert r.status_code == 403 and "scope" in r.text
