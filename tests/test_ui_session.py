"""The dashboard's sign-in, session cookie and CSRF rules, and its pages' authorization,
over HTTP (TestClient); tests/test_ui_browser.py drives the same pages in Chromium."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from conftest import PASSWORD
from ui_support import csrf_of, manual_resources, shared_machine, signed_in, ui_login

from cloudfold.web.render import CSP


def fresh(client) -> TestClient:
    """Another browser (its own cookie jar) on the same app."""
    other = TestClient(client.app, raise_server_exceptions=False)
    return other


def session_cookie_header(response) -> str:
    return next(v for k, v in response.headers.multi_items() if k == "set-cookie" and v.startswith("cf_session="))


def test_pages_send_signed_out_users_to_login(client):
    r = client.get("/ui/inventory?kind=vm", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/ui/login?next=/ui/inventory?kind=vm"
    assert client.get("/ui", follow_redirects=False).headers["location"] == "/ui/login"
    login = client.get("/ui/login")
    assert login.status_code == 200 and 'href="/ui/forgot"' in login.text
    assert login.headers["content-security-policy"] == CSP and "unsafe-inline" not in CSP
    assert "script-src 'self'" in CSP and "<script>" not in login.text  # no inline script at all


def test_login_sets_an_httponly_lax_session_cookie(client, member):
    r = ui_login(client, member.email, member.password, next="/ui/inventory")
    assert r.status_code == 303 and r.headers["location"] == "/ui/inventory"
    cookie = session_cookie_header(r).lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/ui" in cookie and "secure" not in cookie
    page = client.get("/ui")
    assert page.status_code == 200 and member.email in page.text
    assert page.headers["cache-control"] == "no-store"


def test_cookie_is_secure_over_https(client, member):
    https = TestClient(client.app, base_url="https://testserver", raise_server_exceptions=False)
    r = ui_login(https, member.email, member.password)
    assert r.status_code == 303
    assert "secure" in session_cookie_header(r).lower()


def test_next_never_leaves_the_dashboard(client, member):
    for target in ["https://evil.example/", "//evil.example/ui", "/api/resources"]:
        r = ui_login(fresh(client), member.email, member.password, next=target)
        assert r.status_code == 303 and r.headers["location"] == "/ui", target


def test_wrong_password_and_missing_fields_are_shown_on_the_form(client, member):
    r = ui_login(client, member.email, "wrong-password")
    assert r.status_code == 401 and "Incorrect email or password" in r.text
    assert "cf_session" not in r.headers.get("set-cookie", "")
    r = ui_login(client, "", "")
    assert r.status_code == 400 and r.text.count('class="field-error"') == 2
    assert client.get("/ui", follow_redirects=False).status_code == 303  # still signed out


def test_login_without_its_csrf_token_is_refused(client, member):
    client.get("/ui/login")
    r = client.post("/ui/login", data={"email": member.email, "password": member.password}, follow_redirects=False)
    assert r.status_code == 403 and "CSRF" in r.text
    # a token from another browser's pre-session does not fit this one's
    other = fresh(client)
    token = csrf_of(other.get("/ui/login").text)
    r = client.post("/ui/login", data={"email": member.email, "password": member.password, "csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 403
    assert client.get("/ui", follow_redirects=False).status_code == 303


def test_logout_needs_csrf_and_revokes_the_session_server_side(client, member):
    token = signed_in(client, member)
    stolen = client.cookies.get("cf_session")
    assert client.post("/ui/logout", data={}, follow_redirects=False).status_code == 403
    assert client.get("/ui").status_code == 200  # the refused logout changed nothing
    r = client.post("/ui/logout", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/ui/login"
    replay = fresh(client)
    replay.cookies.set("cf_session", stolen, path="/ui")
    assert replay.get("/ui", follow_redirects=False).status_code == 303  # the JWT is revoked


def test_the_api_does_not_accept_the_cookie(client, member):
    signed_in(client, member)
    jwt = client.cookies.get("cf_session")
    assert client.get("/dashboard/stats").status_code == 401  # cookie alone: not an API credential
    assert client.get("/dashboard/stats", headers={"Authorization": f"Bearer {jwt}"}).status_code == 200
    api_key_cookie = fresh(client)
    api_key_cookie.cookies.set("cf_session", member.key, path="/ui")
    assert api_key_cookie.get("/ui", follow_redirects=False).status_code == 303  # only a session JWT


def test_overview_and_inventory_show_only_what_the_user_may_see(client, member, make_account):
    mine = manual_resources(member, ["alpha-1", "alpha-2"]) + manual_resources(member, ["disk-1"], kind="volume",
                                                                                status="available")
    other = make_account("member")
    theirs = manual_resources(other, ["secret-box"])
    signed_in(client, member)
    overview = client.get("/ui")
    assert 'data-figure="total">3<' in overview.text and "secret-box" not in overview.text
    assert "alpha-1" in overview.text  # recent activity
    page = client.get("/ui/inventory", params={"kind": "vm"})
    assert page.status_code == 200 and 'data-total="2"' in page.text and "disk-1" not in page.text
    assert "secret-box" not in client.get("/ui/inventory").text
    assert client.get(f"/ui/machines/{mine[0]}").status_code == 200
    r = client.get(f"/ui/machines/{theirs[0]}")
    assert r.status_code == 404 and "secret-box" not in r.text
    assert client.get("/ui/machines/not-a-number").status_code == 400


def test_inventory_pages_and_bad_filters(client, member):
    manual_resources(member, [f"node-{i:02d}" for i in range(30)])
    signed_in(client, member)
    first = client.get("/ui/inventory", params={"size": 25})
    assert 'data-total="30"' in first.text and "page 1 of 2" in first.text and "node-24" in first.text
    assert "node-25" not in first.text and 'rel="next"' in first.text
    second = client.get("/ui/inventory", params={"size": 25, "page": 2})
    assert "node-25" in second.text and "node-24" not in second.text and 'rel="prev"' in second.text
    newest = client.get("/ui/inventory", params={"size": 25, "sort": "newest"})
    assert newest.text.index("node-29") < newest.text.index("node-05") and "node-04" not in newest.text
    assert "sort=newest" in newest.text  # the pager keeps the order
    assert client.get("/ui/inventory", params={"sort": "name; drop"}).status_code == 400
    empty = client.get("/ui/inventory", params={"status": "nope"})
    assert 'data-total="0"' in empty.text and "Nothing matches" in empty.text
    assert client.get("/ui/inventory", params={"page": 0}).status_code == 400
    assert client.get("/ui/inventory", params={"kind": "x" * 100}).status_code == 400


def test_viewer_sees_no_buttons_and_is_refused_anyway(client, make_account, admin):
    machine = shared_machine(client.app.state.runtime)
    viewer = make_account("viewer")
    token = signed_in(client, viewer)
    page = client.get(f"/ui/machines/{machine}")
    assert page.status_code == 200 and "web-1" in page.text and 'data-action=' not in page.text
    r = client.post(f"/ui/machines/{machine}/action", data={"action": "stop", "csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 403 and "admin" in r.text
    logs = client.get(f"/api/resources/{machine}/logs", headers=admin.headers).json()
    assert logs[0]["result"] == "blocked" and logs[0]["via"] == "POST /ui/machines/{id}/action"
    # an admin is offered the buttons the one action path would allow (running: stop and reboot)
    admin_browser = fresh(client)
    signed_in(admin_browser, admin)
    buttons = admin_browser.get(f"/ui/machines/{machine}").text
    assert 'data-action="stop"' in buttons and 'data-action="reboot"' in buttons
    assert 'data-action="start"' not in buttons


def test_action_without_csrf_is_refused_before_anything(client, admin):
    machine = shared_machine(client.app.state.runtime, "web-2")
    signed_in(client, admin)
    r = client.post(f"/ui/machines/{machine}/action", data={"action": "stop"}, follow_redirects=False)
    assert r.status_code == 403 and "CSRF" in r.text
    r = client.post(f"/ui/machines/{machine}/action", data={"action": "stop", "csrf_token": "0" * 64},
                    follow_redirects=False)
    assert r.status_code == 403
    assert client.get(f"/api/resources/{machine}/logs", headers=admin.headers).json() == []  # nothing happened
    refusals = client.get("/monitor/audit", params={"result": "blocked"}, headers=admin.headers).json()["events"]
    assert [e["action"] for e in refusals[:2]] == ["POST /ui/machines/{resource_id}/action"] * 2  # audited
    signed_out = fresh(client)
    assert signed_out.post(f"/ui/machines/{machine}/action", data={"action": "stop"}).status_code == 401


def test_action_refusals_come_from_the_one_action_path(client, member):
    (mine,) = manual_resources(member, ["by-hand"])
    token = signed_in(client, member)
    r = client.post(f"/ui/machines/{mine}/action", data={"action": "stop", "csrf_token": token})
    assert r.status_code == 409 and "tracked by hand" in r.text
    r = client.post(f"/ui/machines/{mine}/action", data={"action": "explode", "csrf_token": token})
    assert r.status_code == 400 and "Unknown action" in r.text


def test_password_reset_forms(client, member):
    forgot = client.get("/ui/forgot")
    r = client.post("/ui/forgot", data={"email": member.email, "csrf_token": csrf_of(forgot.text)})
    assert r.status_code == 200 and "If the email exists" in r.text
    r = client.post("/ui/forgot", data={"email": member.email})
    assert r.status_code == 403
    reset = client.get("/ui/reset")
    r = client.post("/ui/reset", data={"token": "not-a-token", "new_password": "another-pass-123",
                                       "csrf_token": csrf_of(reset.text)})
    assert r.status_code == 400 and 'class="form-error"' in r.text
    assert ui_login(client, member.email, PASSWORD).status_code == 303  # the password did not change


def test_csrf_token_in_the_htmx_header_is_accepted(client, member):
    token = signed_in(client, member)
    assert f'hx-headers=\'{{"X-CSRF-Token": "{token}"}}\'' in client.get("/ui").text
    r = client.post("/ui/logout", headers={"X-CSRF-Token": token}, follow_redirects=False)
    assert r.status_code == 303
    assert client.get("/ui", follow_redirects=False).status_code == 303


def test_login_form_keeps_the_apis_rate_limits(make_client, make_account):
    client = make_client(rate_limit_auth="3/minute")  # the sign-up below counts once
    member = make_account("member", client_=client)
    for _ in range(2):
        assert ui_login(client, member.email, "wrong-password").status_code == 401
    r = ui_login(client, member.email, member.password)
    assert r.status_code == 429 and r.headers["retry-after"] and "cf_session" not in r.headers.get("set-cookie", "")
    assert 'class="form-error"' in r.text and "Traceback" not in r.text


def test_live_stream_needs_the_cookie_and_this_origin(client, member, make_account):
    import json

    from starlette.websockets import WebSocketDisconnect

    (mine,) = manual_resources(member, ["live-1"])
    other = make_account("member")
    (theirs,) = manual_resources(other, ["hidden-1"])
    signed_out = fresh(client)
    with pytest.raises(WebSocketDisconnect) as closed:
        with signed_out.websocket_connect("/ui/live", headers={"origin": "http://testserver"}) as ws:
            ws.receive_text()
    assert closed.value.code == 4401
    signed_in(client, member)
    for origin in ("https://evil.example", None):
        headers = {"origin": origin} if origin else {}
        with pytest.raises(WebSocketDisconnect) as closed:
            with client.websocket_connect("/ui/live", headers=headers) as ws:
                ws.receive_text()
        assert closed.value.code == 4403
    with client.websocket_connect("/ui/live", headers={"origin": "http://testserver"}) as ws:
        for rid, owner in ((theirs, other), (mine, member)):  # only what the member may see arrives
            r = client.put(f"/api/resources/{rid}", json={"status": "stopped"}, headers=owner.headers)
            assert r.status_code == 200, r.text
        event = json.loads(ws.receive_text())
        assert event["type"] == "resource_change" and event["resource_id"] == str(mine)
