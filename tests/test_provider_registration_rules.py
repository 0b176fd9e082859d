"""Who may register what (issue 8 item 3): a member cannot register a provider that reaches
the host (a local engine, a docker_host, a credentials_path, a CA bundle path) or whose
endpoint is loopback, private, link-local or the metadata address, through POST and PUT
/api/providers and POST /credentials/; nothing is stored. Admins may, and so may members when
the operator allow-lists the destination. A driver opened for an owner who is not an admin
re-checks the destination, so a later change of settings applies to stored accounts too."""

from __future__ import annotations

import boto3
import pytest

from conftest import assert_error
from egress_support import LocalServer
from helpers_api import audit_page
from inventory_support import register, sync, wait_task
from moto_server import moto, moto_url  # noqa: F401  (fixtures)
from pve_standin import PveStandin, demo_state, make_tls_files

pytestmark = pytest.mark.database  # also run on PostgreSQL in CI

AWS = {"access_key": "AKIAEXAMPLE", "secret_key": "secret"}
AWS_MOTO = {"access_key": "AKIAIOSFODNN7EXAMPLE", "secret_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
PVE = {"user": "root@pam", "token_name": "t", "token_value": "v"}

# every spelling of a forbidden destination, as a URL (aws endpoint_url) and as a host (proxmox)
TRICK_URLS = [
    "http://127.0.0.1:4566", "http://2130706433:4566", "http://0x7f.1:4566", "http://017700000001",
    "http://[::1]:4566", "http://localhost:4566", "http://localhost.:4566", "http://LocalHost",
    "http://[::ffff:127.0.0.1]:4566", "http://169.254.169.254/latest/meta-data/", "http://[fd00:ec2::254]/",
    "http://10.1.2.3", "http://192.168.0.10", "http://172.20.0.1", "http://100.64.0.1", "http://[fc00::1]",
    "http://0.0.0.0:4566", "http://user:pw@example.com", "http://example.com@127.0.0.1",
    "ftp://example.com", "file:///etc/passwd", "unix:///var/run/docker.sock",
]
TRICK_HOSTS = [
    "127.0.0.1", "2130706433", "0x7f.1", "[::1]", "::1", "localhost", "localhost.", "[::ffff:127.0.0.1]:8006",
    "169.254.169.254", "10.0.0.5:8006", "192.168.1.2", "100.64.1.1", "fd00:ec2::254", "0.0.0.0",
    "https://127.0.0.1:8006", "user@127.0.0.1",
]


def _providers(client, account) -> list[str]:
    return [p["id"] for p in client.get("/api/providers", headers=account.headers).json()]


def _post(client, account, **body):
    return client.post("/api/providers", json={"display_name": "x", **body}, headers=account.headers)


@pytest.mark.parametrize("url", TRICK_URLS)
def test_member_cannot_point_aws_endpoint_url_at_forbidden_addresses(client, member, admin, url):
    r = _post(client, member, id="aws-x", provider_type="aws", credentials=AWS, config={"endpoint_url": url})
    body = assert_error(r, 400, "BAD_REQUEST")
    assert "endpoint_url" in body["message"]
    assert _providers(client, admin) == []


@pytest.mark.parametrize("host", TRICK_HOSTS)
def test_member_cannot_point_proxmox_host_at_forbidden_addresses(client, member, admin, host):
    r = _post(client, member, id="pve-x", provider_type="proxmox", credentials=PVE, config={"host": host})
    assert_error(r, 400, "BAD_REQUEST")
    assert _providers(client, admin) == []


def test_member_cannot_change_an_endpoint_to_a_forbidden_address(client, member, admin):
    assert _post(client, member, id="mine", provider_type="aws", credentials=AWS, config={}).status_code == 201
    for url in ("http://127.0.0.1:4566", "http://169.254.169.254", "http://[::1]"):
        assert_error(client.put("/api/providers/mine", json={"config": {"endpoint_url": url}},
                                headers=member.headers), 400, "BAD_REQUEST")
    assert _post(client, member, id="pve", provider_type="proxmox", credentials=PVE,
                 config={"host": "localhost"}).status_code == 400
    assert client.get("/api/providers/mine", headers=member.headers).json()["config"] == {}


@pytest.mark.parametrize("provider_type, config, extra, what", [
    ("local", {}, {}, "a local engine"),
    ("local", {"docker_host": "unix:///run/podman/podman.sock"}, {}, "a local engine"),
    ("aws", {"docker_host": "tcp://127.0.0.1:2375"}, {"credentials": AWS}, "a docker_host"),
    ("oci", {}, {"credentials_path": "oci.ini"}, "a credentials_path"),
    ("proxmox", {"host": "pve.example.com", "verify_ssl": "/etc/shadow"}, {"credentials": PVE}, "verify_ssl"),
])
def test_member_cannot_register_what_reaches_the_host(make_client, make_account, tmp_path, provider_type, config,
                                                      extra, what):
    (tmp_path / "creds").mkdir()
    (tmp_path / "creds" / "oci.ini").write_text("[DEFAULT]\nuser=u\n")
    client = make_client(credentials_dir=tmp_path / "creds")
    member, admin = make_account("member", client_=client), make_account("admin", client_=client)
    body = assert_error(_post(client, member, id="p", provider_type=provider_type, config=config, **extra),
                        403, "FORBIDDEN")
    assert what in body["message"]
    assert _providers(client, admin) == []
    events = audit_page(client, admin.headers, action="provider.create")["events"]
    assert [(e["result"], e["status_code"], e["target"]) for e in events] == [("blocked", 403, "provider:p")]
    # the same registration by an admin is accepted (nothing here connects anywhere)
    assert _post(client, admin, id="p", provider_type=provider_type, config=config, **extra).status_code == 201


def test_member_cannot_add_host_reach_on_update(make_client, make_account, tmp_path):
    (tmp_path / "creds").mkdir()
    (tmp_path / "creds" / "a.ini").write_text("[DEFAULT]\nuser=u\n")
    client = make_client(credentials_dir=tmp_path / "creds")
    member = make_account("member", client_=client)
    assert _post(client, member, id="mine", provider_type="aws", credentials=AWS).status_code == 201
    for change in ({"config": {"docker_host": "unix:///var/run/docker.sock"}}, {"credentials_path": "a.ini"}):
        assert_error(client.put("/api/providers/mine", json=change, headers=member.headers), 403, "FORBIDDEN")
    stored = client.get("/api/providers/mine", headers=member.headers).json()
    assert stored["config"] == {} and stored["credentials_path"] is None


def test_credentials_face_follows_the_same_rules(client, member, admin):
    assert_error(client.post("/credentials/", json={"provider": "local", "name": "l"}, headers=member.headers),
                 403, "FORBIDDEN")
    # seed 002 takes no config: an endpoint sent as a credential field is never used as one
    r = client.post("/credentials/", json={"provider": "aws", "name": "a", **AWS, "endpoint_url": "http://127.0.0.1"},
                    headers=member.headers)
    assert r.status_code == 201
    assert client.get(f"/api/providers/{r.json()['id']}", headers=member.headers).json()["config"] == {}
    assert client.post("/credentials/", json={"provider": "local", "name": "l"}, headers=admin.headers).status_code == 201


def test_allow_list_lets_members_reach_listed_destinations(make_client, make_account):
    client = make_client(egress_allow=["127.0.0.0/8", "localhost", "pve.lan"])
    member = make_account("member", client_=client)
    for i, url in enumerate(["http://127.0.0.1:4566", "http://localhost:4566", "http://2130706433:4566"]):
        assert _post(client, member, id=f"a{i}", provider_type="aws", credentials=AWS,
                     config={"endpoint_url": url}).status_code == 201
    # what the list does not name stays refused
    assert_error(_post(client, member, id="meta", provider_type="aws", credentials=AWS,
                       config={"endpoint_url": "http://169.254.169.254"}), 400, "BAD_REQUEST")
    assert_error(_post(client, member, id="p", provider_type="proxmox", credentials=PVE,
                       config={"host": "10.0.0.1"}), 400, "BAD_REQUEST")


def test_admin_may_register_any_endpoint(client, admin):
    for i, url in enumerate(["http://127.0.0.1:4566", "http://localhost:4566", "http://[::1]:9"]):
        assert _post(client, admin, id=f"a{i}", provider_type="aws", credentials=AWS,
                     config={"endpoint_url": url}).status_code == 201
    assert _post(client, admin, id="p", provider_type="proxmox", credentials=PVE,
                 config={"host": "127.0.0.1:8006"}).status_code == 201


def test_stored_account_is_rechecked_whenever_its_driver_opens(make_client, make_account):
    """Registered while the operator allowed loopback; once the allow-list no longer does, the
    account's driver refuses to connect (health, sync), and the server never gets a request."""
    with LocalServer("127.0.0.1") as server:
        allowing = make_client(egress_allow=["127.0.0.0/8"])
        member = make_account("member", client_=allowing)
        assert _post(allowing, member, id="aws-local", provider_type="aws", credentials=AWS,
                     config={"endpoint_url": server.url(), "max_attempts": 1}).status_code == 201
        strict = make_client()
        member.client = strict
        [health] = strict.get("/api/providers/health/check", headers=member.headers).json()
        assert health["status"] == "unhealthy" and "egress rule" in health["error"]
        r = strict.post("/api/resources/sync/aws-local", headers=member.headers)
        assert r.status_code == 202
        task = wait_task(member, r.json()["task_id"])
        assert task["status"] == "failed"
        assert server.requests == []
        provider = strict.get("/api/providers/aws-local", headers=member.headers).json()
        assert "egress rule" in (provider.get("last_sync_error") or "")


# control characters fail the request's validation (seed 001 answers validation errors with 422);
# an empty path is the domain's refusal (400)
@pytest.mark.parametrize(("path", "status"), [("oci\x00.ini", 422), ("a\nb", 422), ("", 400)])
def test_junk_credentials_path_is_refused(make_client, make_account, tmp_path, path, status):
    (tmp_path / "creds").mkdir()
    client = make_client(credentials_dir=tmp_path / "creds")
    admin = make_account("admin", client_=client)
    assert_error(_post(client, admin, id="o", provider_type="oci", credentials_path=path), status, "BAD_REQUEST")
    assert _providers(client, admin) == []


def test_credentials_path_errors_never_tell_whether_a_file_exists(make_client, make_account, tmp_path):
    creds = tmp_path / "creds"
    (creds / "sub").mkdir(parents=True)
    (tmp_path / "outside.ini").write_text("[DEFAULT]\nuser=u\n")
    client = make_client(credentials_dir=creds)
    admin = make_account("admin", client_=client)
    messages = {assert_error(_post(client, admin, id="o", provider_type="oci", credentials_path=p),
                             400, "BAD_REQUEST")["message"]
                for p in ("../outside.ini", "../missing.ini", "/etc/passwd", "/etc/nonexistent", "sub", "nope.ini")}
    assert len(messages) == 1, messages


def test_credentials_file_contents_never_reach_an_answer(make_client, make_account, tmp_path):
    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "junk.ini").write_text("TOP-SECRET-LINE without any delimiter\n")
    client = make_client(credentials_dir=creds)
    admin = make_account("admin", client_=client)
    assert _post(client, admin, id="o", provider_type="oci", credentials_path="junk.ini").status_code == 201
    r = client.get("/api/providers/health/check", headers=admin.headers)
    assert r.status_code == 200 and "neither JSON nor INI" in r.json()[0]["error"]
    assert "TOP-SECRET-LINE" not in r.text


def test_members_allow_listed_accounts_sync_through_the_pinned_connection(make_client, make_account, moto,  # noqa: F811
                                                                         tmp_path):
    """The guard keeps the usual path working: a member's AWS (moto) and Proxmox (stand-in)
    accounts on allow-listed loopback sync as an admin's would, named by host name."""
    client = make_client(egress_allow=["127.0.0.0/8", "::1/128"])
    member = make_account("member", client_=client)
    moto_by_name = moto.replace("127.0.0.1", "localhost")
    boto3.client("ec2", endpoint_url=moto, region_name="us-east-1", aws_access_key_id="a",
                 aws_secret_access_key="b").create_vpc(CidrBlock="10.9.0.0/16")
    register(member, "aws", "aws-mine", {"endpoint_url": moto_by_name, "regions": ["us-east-1"]}, AWS_MOTO,
             region="us-east-1")
    _, cert, key = make_tls_files(tmp_path)
    with PveStandin(demo_state(), cert, key) as pve:
        register(member, "proxmox", "pve-mine", {"host": f"localhost:{pve.port}", "verify_ssl": False},
                 {"user": "root@pam", "token_name": "cloudfold", "token_value": "0b6a4a56-5b8d-4a3e-9f7e-1d2c3b4a5f60"})
        for slug in ("aws-mine", "pve-mine"):
            assert sync(member, slug)["status"] == "succeeded"
        health = {h["provider_id"]: h["status"] for h in
                  client.get("/api/providers/health/check", headers=member.headers).json()}
        assert health == {"aws-mine": "healthy", "pve-mine": "healthy"}
    found = client.get("/api/resources", params={"limit": 1000}, headers=member.headers).json()
    assert {r["provider_id"] for r in found} == {"aws-mine", "pve-mine"}
