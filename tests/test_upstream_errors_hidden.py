"""What an upstream says never reaches a client (issue 8 item 3): accounts whose endpoint
answers garbage (an AWS endpoint_url and a Proxmox host, registered by an admin) sit beside a
good account; the shared health page answers 200 with each account's verdict, and neither it,
a sync's task, nor the stored sync error quotes the garbage."""

from __future__ import annotations

import pytest

from egress_support import MARKER, BannerServer, LocalServer
from inventory_support import register, sync
from moto_server import moto, moto_url  # noqa: F401  (fixtures)
from pve_standin import make_tls_files

AWS = {"access_key": "AKIAIOSFODNN7EXAMPLE", "secret_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
PVE = {"user": "root@pam", "token_name": "cloudfold", "token_value": "secret"}
GARBAGE = [(200, f"<<{MARKER}>> not xml, not json".encode()), (500, f'{{"errors": "{MARKER}"}}'.encode()),
           (200, f'{{"data": "{MARKER}"}}'.encode()), (403, MARKER.encode())]


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    return make_tls_files(tmp_path_factory.mktemp("garbage-tls"))


@pytest.mark.parametrize("status, body", GARBAGE)
def test_health_check_survives_garbage_and_quotes_none_of_it(client, admin, moto, tls, status, body):  # noqa: F811
    ca, cert, key = tls
    with LocalServer(status=status, body=body) as plain, LocalServer(status=status, body=body, tls=(cert, key)) as pve:
        register(admin, "aws", "good", {"endpoint_url": moto, "regions": ["us-east-1"]}, AWS, region="us-east-1")
        register(admin, "aws", "garbled-aws", {"endpoint_url": plain.url(), "regions": ["us-east-1"],
                                               "max_attempts": 1}, AWS, region="us-east-1")
        register(admin, "proxmox", "garbled-pve", {"host": f"127.0.0.1:{pve.port}", "verify_ssl": str(ca)}, PVE)
        r = client.get("/api/providers/health/check", headers=admin.headers)
        assert r.status_code == 200, r.text
        health = {h["provider_id"]: h for h in r.json()}
        assert health["good"]["status"] == "healthy"
        assert health["garbled-aws"]["status"] == "unhealthy" and health["garbled-aws"]["error"]
        assert health["garbled-pve"]["status"] == "unhealthy" and health["garbled-pve"]["error"]
        assert MARKER not in r.text
        assert plain.requests and pve.requests  # both were asked, and answered garbage

        for slug in ("garbled-aws", "garbled-pve"):
            task = sync(admin, slug, expect="failed")
            assert MARKER not in repr(task)
            provider = client.get(f"/api/providers/{slug}", headers=admin.headers)
            assert provider.json()["last_sync_error"] and MARKER not in provider.text
        assert MARKER not in client.get("/api/providers/health/check", headers=admin.headers).text


def test_a_service_banner_is_never_echoed(client, admin, tls):
    """A port that answers with something other than HTTP (an SSH banner): health, sync and
    the answers say the endpoint failed, not what it said (no port scanner that reads banners)."""
    ca, cert, key = tls
    with BannerServer() as banner, BannerServer(tls=(cert, key)) as tls_banner:
        register(admin, "aws", "banner-aws", {"endpoint_url": f"http://127.0.0.1:{banner.port}", "regions": ["us-east-1"],
                                              "max_attempts": 1}, AWS, region="us-east-1")
        register(admin, "proxmox", "banner-pve", {"host": f"127.0.0.1:{tls_banner.port}", "verify_ssl": str(ca)}, PVE)
        r = client.get("/api/providers/health/check", headers=admin.headers)
        assert r.status_code == 200, r.text
        assert {h["provider_id"]: h["status"] for h in r.json()} == {"banner-aws": "unhealthy",
                                                                     "banner-pve": "unhealthy"}
        assert MARKER not in r.text and banner.connections and tls_banner.connections
        for slug in ("banner-aws", "banner-pve"):
            assert MARKER not in repr(sync(admin, slug, expect="failed"))
            assert MARKER not in client.get(f"/api/providers/{slug}", headers=admin.headers).text
