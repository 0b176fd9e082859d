"""Pinning: inside the egress guard, a connection goes to the approved addresses only, whatever
the name resolves to now, for every HTTP client the drivers use (urllib3, requests, httpx,
boto3); names the guard did not approve are checked on the spot and refused."""

from __future__ import annotations

import socket

import boto3
import httpx
import pytest
import requests
import urllib3
from botocore.config import Config
from botocore.exceptions import EndpointConnectionError

from cloudfold.domain import egress
from cloudfold.settings import Settings
from egress_support import LocalServer

SETTINGS = Settings(egress_allow=[])


@pytest.fixture
def decoy():
    """What 'localhost' resolves to (127.0.0.1): the server a re-pointed name would reach."""
    with LocalServer("127.0.0.1") as server:
        yield server


@pytest.fixture
def approved_server():
    """The address the check approved: 127.0.0.2 (also loopback, reached only through the pin)."""
    with LocalServer("127.0.0.2") as server:
        yield server


def _pin(name: str, server: LocalServer) -> egress.Approved:
    return egress.Approved(name, server.port, (server.address,))


def _clients():
    def with_urllib3(url):
        return urllib3.PoolManager().request("GET", url + "/x", retries=False, timeout=5).status

    def with_requests(url):
        return requests.get(url + "/x", timeout=5).status_code

    def with_httpx(url):
        return httpx.get(url + "/x", timeout=5).status_code

    def with_boto3(url):
        client = boto3.client("s3", endpoint_url=url, region_name="us-east-1", aws_access_key_id="a",
                              aws_secret_access_key="b",
                              config=Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"}))
        try:
            client.list_buckets()
        except Exception:  # noqa: BLE001 - the stand-in answers garbage; reaching it is what counts
            pass
        return 200

    return {"urllib3": with_urllib3, "requests": with_requests, "httpx": with_httpx, "boto3": with_boto3}


@pytest.mark.parametrize("client_name", list(_clients()))
def test_connection_goes_to_the_approved_address_not_to_what_the_name_resolves_to(client_name, decoy,
                                                                                   approved_server):
    call = _clients()[client_name]
    assert socket.getaddrinfo("localhost", decoy.port)  # the name resolves (to the decoy's address)
    with egress.guard(SETTINGS, False, [_pin("localhost", approved_server)]):
        call(approved_server.url("localhost"))
    assert approved_server.requests, "the pinned address was not used"
    assert decoy.requests == []
    call(decoy.url("localhost"))  # outside the guard, resolution is the system's again
    assert decoy.requests


def test_a_name_that_no_longer_resolves_still_reaches_its_pinned_address(approved_server):
    name = "pinned.cloudfold.invalid"  # .invalid never resolves
    with egress.guard(SETTINGS, False, [_pin(name, approved_server)]):
        assert httpx.get(approved_server.url(name) + "/x", timeout=5).status_code == 200
    assert len(approved_server.requests) == 1
    with pytest.raises(httpx.ConnectError):
        httpx.get(approved_server.url(name) + "/x", timeout=5)


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "2130706433", "[::ffff:127.0.0.1]"])
def test_unapproved_destinations_are_checked_inside_the_guard(host, decoy):
    with egress.guard(SETTINGS, False, []):
        with pytest.raises(httpx.ConnectError, match="egress rule"):
            httpx.get(f"http://{host}:{decoy.port}/x", timeout=5)
        with pytest.raises(EndpointConnectionError):
            boto3.client("s3", endpoint_url=decoy.url(host), region_name="us-east-1", aws_access_key_id="a",
                         aws_secret_access_key="b", config=Config(retries={"max_attempts": 1})).list_buckets()
    assert decoy.requests == []


def test_trusted_callers_and_the_allow_list_pass(decoy):
    with egress.guard(SETTINGS, True, []):
        assert httpx.get(decoy.url("localhost") + "/x", timeout=5).status_code == 200
    with egress.guard(Settings(egress_allow=["127.0.0.0/8"]), False, []):
        assert httpx.get(decoy.url("localhost") + "/x", timeout=5).status_code == 200
    assert len(decoy.requests) == 2


@pytest.mark.parametrize("url, reason", [
    ("http://127.0.0.1/", "loopback"), ("http://2130706433/", "loopback"), ("http://0x7f.1/", "loopback"),
    ("http://017700000001/", "loopback"), ("http://[::1]/", "loopback"), ("http://localhost./", "loopback"),
    ("http://LOCALHOST/", "loopback"), ("http://[::ffff:127.0.0.1]/", "loopback"),
    ("http://[::ffff:7f00:1]/", "loopback"), ("http://169.254.169.254/latest/meta-data", "metadata"),
    ("http://[fd00:ec2::254]/", "metadata"), ("http://169.254.1.1/", "link-local"),
    ("http://[fe80::1]/", "link-local"), ("http://10.0.0.1/", "private"), ("http://172.16.5.4/", "private"),
    ("http://192.168.1.1/", "private"), ("http://100.64.0.1/", "private"), ("http://[fc00::1]/", "private"),
    ("http://0.0.0.0/", "unspecified"), ("http://[::]/", "unspecified"), ("http://224.0.0.1/", "multicast"),
    ("http://240.0.0.1/", "reserved"), ("http://[2002:7f00:1::]/", "loopback"),
    ("http://[64:ff9b::a9fe:a9fe]/", "metadata"),
])
def test_refused_addresses_name_the_rule(url, reason):
    with pytest.raises(Exception) as info:
        egress.check_url(url, trusted=False, settings=SETTINGS, what="endpoint_url")
    assert reason in info.value.message and "egress rule" in info.value.message
    egress.check_url(url, trusted=True, settings=SETTINGS)  # admins are trusted


@pytest.mark.parametrize("url, says", [
    ("ftp://example.com/", "only http"), ("file:///etc/passwd", "only http"), ("gopher://x/", "only http"),
    ("http://user:pw@example.com/", "user info"), ("http://@127.0.0.1/", "user info"), ("http:///x", "no host"),
    ("http://exa mple.com/", "expected a URL"), ("http://x:99999/", "malformed"), ("http://a\x00b/", "expected a URL"),
])
def test_malformed_urls_are_refused(url, says):
    with pytest.raises(Exception) as info:
        egress.check_url(url, trusted=False, settings=SETTINGS, what="endpoint_url")
    assert says in info.value.message


def test_server_own_addresses_are_refused():
    from cloudfold.domain.egress.rules import _own_addresses

    public = [ip for ip in _own_addresses() if ip.is_global]
    for ip in public:  # only on a machine with a global address; its private ones are refused anyway
        with pytest.raises(Exception, match="egress rule"):
            egress.check_host(str(ip), trusted=False, settings=SETTINGS)
    assert _own_addresses()  # at least loopback is listed
