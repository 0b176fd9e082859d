"""The Accounts page over HTTP: the add form's fields come from the driver declarations,
errors are shown next to their field in the API's words, edit/test/sync go through the API's
use cases, a viewer sees no buttons and is refused anyway, another member's account is not there."""

from __future__ import annotations

from fastapi.testclient import TestClient
from ui_support import signed_in


def browser_of(client) -> TestClient:
    return TestClient(client.app, raise_server_exceptions=False)


def add(client, token: str, **fields):
    data = {"csrf_token": token, "provider_type": "aws", "display_name": "Prod", **fields}
    return client.post("/ui/accounts/new", data=data, follow_redirects=False)


def test_empty_state_and_the_forms_fields_per_provider(client, member):
    signed_in(client, member)
    page = client.get("/ui/accounts")
    assert page.status_code == 200 and "No accounts yet — " in page.text and 'href="/ui/accounts/new"' in page.text
    aws = client.get("/ui/accounts/new", params={"type": "aws"}).text
    for name in ("cred_access_key", "cred_secret_key", "cred_session_token", "cfg_endpoint_url"):
        assert f'name="{name}"' in aws, name
    assert 'name="cred_secret_key" type="password"' in aws
    proxmox = client.get("/ui/accounts/new", params={"type": "proxmox"}).text
    assert 'name="cred_user"' in proxmox and 'name="cfg_host"' in proxmox and "cred_access_key" not in proxmox
    assert 'name="cred_access_key"' in client.get("/ui/accounts/new", params={"type": "nonsense"}).text


def test_add_edit_and_errors_next_to_their_field(client, member):
    token = signed_in(client, member)
    r = add(client, token, display_name="", region="eu-1", cred_access_key="AK")
    assert r.status_code == 400 and 'id="display_name-error"' in r.text and 'value="eu-1"' in r.text
    assert 'value="AK"' not in r.text  # a credential is never sent back
    r = add(client, token, cred_access_key="AK")  # no secret key: the driver's own message, by its field
    assert r.status_code == 400 and 'id="cred_secret_key-error"' in r.text and "secret_key" in r.text
    r = add(client, token, id="bad id!", cred_access_key="AK", cred_secret_key="SK")
    assert r.status_code == 400 and 'id="id-error"' in r.text
    r = add(client, token, id="prod-aws", cred_access_key="AK", cred_secret_key="SK",
            cfg_endpoint_url="http://127.0.0.1:1")  # the egress rule: a member may not reach loopback
    assert r.status_code == 400 and 'id="cfg_endpoint_url-error"' in r.text
    r = add(client, token, id="prod-aws", region="eu-west-1", cred_access_key="AK", cred_secret_key="SK",
            cfg_endpoint_url="https://52.94.0.1")
    assert r.status_code == 303 and r.headers["location"] == "/ui/accounts/prod-aws"
    api = client.get("/api/providers/prod-aws", headers=member.headers).json()
    assert api["has_credentials"] and api["region"] == "eu-west-1"
    assert api["config"] == {"endpoint_url": "https://52.94.0.1"}
    r = add(client, token, id="prod-aws", cred_access_key="AK", cred_secret_key="SK")
    assert r.status_code == 409 and 'id="id-error"' in r.text and "already exists" in r.text
    r = add(client, token, provider_type="local", id="mine-local", cfg_docker_host="unix:///x.sock")
    assert r.status_code == 403 and "Only admins" in r.text  # the API's rule, shown on the form
    detail = client.get("/ui/accounts/prod-aws").text
    assert "SK" not in detail and 'data-action="sync"' in detail and 'value="https://52.94.0.1"' in detail
    r = client.post("/ui/accounts/prod-aws", data={"csrf_token": token, "display_name": "Production",
                                                   "region": "eu-west-1", "cfg_endpoint_url": "ftp://x"})
    assert r.status_code == 400 and 'id="cfg_endpoint_url-error"' in r.text
    r = client.post("/ui/accounts/prod-aws", data={"csrf_token": token, "display_name": "Production",
                                                   "region": "eu-west-2"}, follow_redirects=False)
    assert r.status_code == 303
    api = client.get("/api/providers/prod-aws", headers=member.headers).json()
    assert api["display_name"] == "Production" and api["region"] == "eu-west-2"
    listed = client.get("/ui/accounts").text
    assert "Production" in listed and "No accounts yet" not in listed
    audit = client.get("/monitor/audit", params={"action": "provider.update"}, headers=member.headers).json()
    assert audit["events"][0]["result"] == "success"


def test_test_and_sync_buttons(client, admin):
    token = signed_in(client, admin)
    add(client, token, id="dead-aws", cred_access_key="AK", cred_secret_key="SK",
        cfg_endpoint_url="http://127.0.0.1:9")
    r = client.post("/ui/accounts/dead-aws/test", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    page = client.get("/ui/accounts/dead-aws").text
    assert 'id="account-health">unhealthy<' in page
    r = client.post("/ui/accounts/dead-aws/sync", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    page = client.get("/ui/accounts/dead-aws").text
    assert 'id="sync-task"' in page and 'data-live-provider="dead-aws"' in page
    assert client.post("/ui/accounts/dead-aws/sync", data={}).status_code == 403  # no CSRF token


def test_viewer_and_other_members(client, member, make_account):
    token = signed_in(client, member)
    add(client, token, id="private-aws", cred_access_key="AK", cred_secret_key="SK")
    other = browser_of(client)
    other_token = signed_in(other, make_account("member"))
    assert other.get("/ui/accounts/private-aws").status_code == 404
    assert "private-aws" not in other.get("/ui/accounts").text
    r = other.post("/ui/accounts/private-aws/sync", data={"csrf_token": other_token})
    assert r.status_code == 404
    r = other.post("/ui/accounts/private-aws", data={"csrf_token": other_token, "display_name": "mine now"})
    assert r.status_code == 404

    viewer = browser_of(client)
    viewer_token = signed_in(viewer, make_account("viewer"))
    page = viewer.get("/ui/accounts").text
    assert "/ui/accounts/new" not in page.split("</nav>", 1)[1].replace("No accounts yet", "")
    assert viewer.get("/ui/accounts/new").status_code == 403
    r = viewer.post("/ui/accounts/new", data={"csrf_token": viewer_token, "provider_type": "aws",
                                              "display_name": "x", "cred_access_key": "a", "cred_secret_key": "b"})
    assert r.status_code == 403 and "scope" in r.text
    assert client.get("/api/providers", headers=member.headers).json()[0]["id"] == "private-aws"  # only one


def test_signed_out_is_sent_to_login(client):
    r = client.get("/ui/accounts", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/ui/login")
    assert client.post("/ui/accounts/new", data={}).status_code == 401
