"""The `/` index shows every route's real authentication, derived from its dependency tree:
checked against the app for every route it lists. Anonymous callers get 401 exactly where it
says a credential is needed; a viewer's read-only key gets 403 where it says write or admin,
and a member's where it says admin."""

from __future__ import annotations

import re

import pytest

STRENGTH = {"none": 0, "authenticated": 1, "read": 1, "write": 2, "admin": 3}
SCOPES = {"viewer": 1, "member": 2}


def endpoints(client) -> list[dict]:
    body = client.get("/").json()
    return [e for f in body["families"] for e in f["endpoints"]]


def call(client, endpoint: dict, headers: dict[str, str] | None = None):
    path = re.sub(r"\{[^}]+\}", "1", endpoint["path"])
    method = endpoint["method"]
    body = {"json": {}} if method in ("POST", "PUT", "PATCH") else {}
    return client.request(method, path, headers=headers or {}, **body)


def test_every_route_has_a_known_auth(client):
    found = endpoints(client)
    assert len(found) > 50
    assert {e["auth"] for e in found} <= set(STRENGTH)
    by_route = {(e["method"], e["path"]): e["auth"] for e in found}
    # a scope required only inside a face's own dependency (the local cloud's `cloud(...)`)
    assert by_route[("POST", "/instances")] == "write" and by_route[("GET", "/vpcs")] == "read"
    assert by_route[("POST", "/api/containers")] == "admin"
    assert by_route[("POST", "/auth/logout")] == "authenticated"
    assert by_route[("GET", "/health/live")] == "none" and by_route[("POST", "/auth/signup")] == "none"


def test_anonymous_callers_get_401_exactly_where_the_index_says(client):
    wrong = []
    for e in endpoints(client):
        status = call(client, e).status_code
        if (status == 401) != (e["auth"] != "none"):
            wrong.append((e["method"], e["path"], e["auth"], status))
    assert wrong == []


@pytest.mark.parametrize("role", ["viewer", "member"])
def test_scoped_callers_get_403_exactly_where_the_index_asks_more(client, make_account, role):
    account = make_account(role)
    wrong = []
    last = lambda e: e["path"] == "/auth/logout"  # noqa: E731  (it ends the session the others use)
    for e in sorted(endpoints(client), key=last):
        if e["auth"] == "none":
            continue
        status = call(client, e, account.headers).status_code
        refused = STRENGTH[e["auth"]] > SCOPES[role]
        if status == 401 or (refused and status != 403):
            wrong.append((e["method"], e["path"], e["auth"], status))
    assert wrong == []


def test_the_openapi_schema_asks_a_credential_exactly_where_the_index_does(client):
    """The credential is read from the headers directly (no FastAPI security dependency), so
    the schema's security is written from the same dependency tree as the index."""
    schema = client.get("/openapi.json").json()
    assert set(schema["components"]["securitySchemes"]) == {"HTTPBearer", "APIKeyHeader", "OAuth2PasswordBearer"}
    assert schema["components"]["securitySchemes"]["APIKeyHeader"] == {
        "type": "apiKey", "in": "header", "name": "X-API-Key", "description": "An API key"}
    wrong = []
    for e in endpoints(client):
        operation = schema["paths"][e["path"]][e["method"].lower()]
        if bool(operation.get("security")) != (e["auth"] != "none"):
            wrong.append((e["method"], e["path"], e["auth"]))
    assert wrong == []


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "cfk_no_scheme"])
def test_an_authorization_header_without_a_bearer_credential_is_no_credential(client, header):
    r = client.get("/auth/keys", headers={"Authorization": header})
    assert r.status_code == 401 and r.json()["message"] == "Not authenticated"


def test_x_api_key_wins_over_a_bearer_token(client, member, admin):
    r = client.get("/auth/me", headers={"X-API-Key": member.key, "Authorization": f"Bearer {admin.key}"})
    assert r.status_code == 200 and r.json()["email"] == member.email


def test_no_route_is_shadowed_by_one_matched_before_it(client):
    """Families are matched in `ROUTERS` order (most requested first): that order may change
    what a request costs, never which route answers. Every route's path, with its parameters
    filled in, is matched first by that route itself."""
    from starlette.routing import Match

    from cloudfold.api.routes import iter_routes

    routes = [(route, original) for route, original in iter_routes(client.app)
              if hasattr(route, "path_regex") and getattr(route, "methods", None)]  # HTTP routes (not /ws)
    wrong = []
    for route, original in routes:
        path = re.sub(r"\{[^}]+\}", "1", route.path)
        for method in sorted(route.methods):
            scope = {"type": "http", "path": path, "method": method, "root_path": ""}
            first = next((o for r, o in routes if r.matches(scope)[0] == Match.FULL), None)
            if first is not original:
                wrong.append((method, route.path, getattr(first, "path", None)))
    assert wrong == []
