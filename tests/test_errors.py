"""One error shape for every failure, with the request id in header and body; no stack
traces; malformed, mistyped and oversize bodies; unknown routes and methods."""

from __future__ import annotations

import json

import pytest

from conftest import PASSWORD
from helpers_api import assert_error_with_id, audit_page, key_headers, new_request_id

LIMIT = 2048


def streamed(data: bytes, chunk: int = 512):
    """A body without Content-Length: sent chunked, as a generator."""
    for i in range(0, len(data), chunk):
        yield data[i:i + chunk]


def oversize_json() -> bytes:
    return json.dumps({"name": "big", "email": "a@example.com", "password": PASSWORD, "pad": "x" * LIMIT}).encode()


@pytest.mark.parametrize("path", ["/auth/keys", "/auth/signup", "/auth/login"])
def test_malformed_json_is_400(client, member, path):
    r = client.post(path, content=b'{"name": "x",', headers={**member.headers, "Content-Type": "application/json"})
    body = assert_error_with_id(r, 400, "BAD_REQUEST")
    assert "json" in body["message"].lower()


def test_json_body_in_another_content_type_is_rejected(client, member):
    r = client.post("/auth/keys", content=b'{"name": "x"}', headers={**member.headers, "Content-Type": "text/plain"})
    assert_error_with_id(r, 400, "BAD_REQUEST")


def test_login_with_an_unsupported_content_type_is_415(client, member):
    r = client.post("/auth/login", content=f"{member.email}:{PASSWORD}".encode(),
                    headers={"Content-Type": "text/plain"})
    body = assert_error_with_id(r, 415, "BAD_REQUEST")
    assert "application/json" in body["message"]


@pytest.mark.parametrize("path", ["/auth/keys", "/auth/signup", "/auth/login"])
@pytest.mark.parametrize("mode", ["content-length", "chunked", "chunked+idempotency"])
def test_oversize_body_is_413(make_client, member, path, mode):
    c = make_client(max_body_bytes=LIMIT)
    headers = {**member.headers, "Content-Type": "application/json"}
    if mode.endswith("idempotency"):
        headers["Idempotency-Key"] = "big-body"
    data = oversize_json()
    r = c.post(path, content=data if mode == "content-length" else streamed(data), headers=headers)
    if mode != "content-length":
        assert "content-length" not in r.request.headers
    body = assert_error_with_id(r, 413, "BAD_REQUEST")
    assert str(LIMIT) in body["message"]


def test_a_body_within_the_limit_is_accepted(make_client, member):
    c = make_client(max_body_bytes=LIMIT)
    data = json.dumps({"name": "fits", "pad": "x" * (LIMIT - 100)}).encode()
    assert len(data) <= LIMIT
    for content in (data, streamed(data)):
        r = c.post("/auth/keys", content=content, headers={**member.headers, "Content-Type": "application/json"})
        assert r.status_code == 201, r.text


def test_unknown_route_is_404(client):
    body = assert_error_with_id(client.get("/no/such/route"), 404, "NOT_FOUND")
    assert body["message"] == "Resource not found"


@pytest.mark.parametrize("method,path,allowed", [
    ("DELETE", "/health", "GET"),
    ("PUT", "/auth/keys", "GET, POST"),
    ("GET", "/auth/login", "POST"),
])
def test_wrong_method_is_405(client, method, path, allowed):
    r = client.request(method, path)
    body = assert_error_with_id(r, 405, "BAD_REQUEST")
    assert "not allowed" in body["message"].lower()
    assert sorted(r.headers["allow"].split(", ")) == sorted(allowed.split(", "))


def error_requests(client, member) -> dict[str, tuple]:
    """One request per kind of failure: (response, status, code)."""
    return {
        "401": (client.get("/auth/keys"), 401, "UNAUTHORIZED"),
        "403": (client.post("/auth/keys", json={"name": "x", "scopes": ["admin"]}, headers=member.headers),
                403, "FORBIDDEN"),
        "404": (client.delete("/auth/keys/nope", headers=member.headers), 404, "NOT_FOUND"),
        "405": (client.patch("/auth/keys"), 405, "BAD_REQUEST"),
        "409": (client.post("/auth/signup", json={"email": member.email, "password": PASSWORD}), 409, "CONFLICT"),
        "422": (client.get("/inventory/vms?limit=0", headers=member.headers), 422, "BAD_REQUEST"),
    }


def test_every_error_carries_its_request_id(client, member):
    seen = set()
    for name, (response, status, code) in error_requests(client, member).items():
        body = assert_error_with_id(response, status, code)
        assert body["request_id"] not in seen, name
        seen.add(body["request_id"])


@pytest.mark.parametrize("path,status", [("/auth/keys", 401), ("/no/such/route", 404), ("/health", 200)])
def test_a_client_request_id_is_echoed(client, path, status):
    request_id = new_request_id()
    r = client.get(path, headers={"X-Request-ID": request_id})
    assert r.status_code == status
    assert r.headers.get_list("x-request-id") == [request_id]
    if status >= 400:
        assert r.json()["request_id"] == request_id


def test_the_request_id_reaches_the_audit_log(client, admin):
    request_id = new_request_id()
    assert client.get("/auth/keys", headers={**key_headers("cfk_wrong"), "X-Request-ID": request_id}).status_code == 401
    events = audit_page(client, admin.headers, result="blocked")["events"]
    assert [e["status_code"] for e in events if e["request_id"] == request_id] == [401]


def test_unexpected_exception_is_a_clean_500(client, member, monkeypatch):
    from cloudfold.domain import apikeys

    headers = member.headers

    def explode(*args, **kwargs):
        raise RuntimeError("secret-internal-detail at /srv/cloudfold/db.py")

    monkeypatch.setattr(apikeys, "list_for", explode)
    r = client.get("/auth/keys", headers=headers)
    body = assert_error_with_id(r, 500, "INTERNAL_ERROR")
    assert body["message"] == "Internal server error"
    for leak in ("secret-internal-detail", "RuntimeError", "Traceback", "/srv/", ".py"):
        assert leak not in r.text
    monkeypatch.undo()
    assert client.get("/auth/keys", headers=headers).status_code == 200


def test_an_exception_in_a_route_of_its_own_is_a_clean_500(client):
    def boom():
        raise ZeroDivisionError("1/0 in a handler")

    client.app.add_api_route("/__test_boom__", boom, methods=["GET"])
    r = client.get("/__test_boom__", headers={"X-Request-ID": (request_id := new_request_id())})
    body = assert_error_with_id(r, 500, "INTERNAL_ERROR")
    assert body["request_id"] == request_id and "ZeroDivision" not in r.text
    assert client.get("/health").status_code == 200


def test_validation_errors_list_the_fields(client, member):
    r = client.post("/auth/keys", json={"scopes": ["nope"]}, headers=member.headers)
    body = assert_error_with_id(r, 400, "BAD_REQUEST")
    locs = [tuple(e["loc"]) for e in body["detail"]]
    assert ("body", "name") in locs and ("body", "scopes", 0) in locs
    assert all(isinstance(e["msg"], str) and e["msg"] for e in body["detail"])


def test_plain_client_request_ids_are_echoed_and_unsafe_ones_replaced(client):
    assert client.get("/nope", headers={"X-Request-ID": "abc-123.retry:2"}).headers["x-request-id"] == "abc-123.retry:2"
    replaced = client.get("/nope", headers={"X-Request-ID": "evil id with spaces"}).headers["x-request-id"]
    assert replaced != "evil id with spaces" and " " not in replaced
