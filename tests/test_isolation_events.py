"""Isolation on the event stream (/ws): a member hears only of what they may see, a socket is
closed (4401) once its key is revoked, its user disabled or their password reset, and the
preferred credential transports (subprotocol, first message) work."""

from __future__ import annotations

import json
import time

import pytest
from starlette.websockets import WebSocketDisconnect

from auth_support import request_reset_token, reset, update_user
from helpers_api import create_key, events_until
from inventory_support import sync
from localcloud_support import POOL, labelled_local_account, make  # noqa: F401

pytestmark = pytest.mark.database  # also run on PostgreSQL in CI

RECHECK_S = 0.3


@pytest.fixture
def client(make_client, engine_socket):
    return make_client(auto_register_local=True, docker_host=engine_socket, local_vpc_pool=POOL,
                       ws_recheck_seconds=RECHECK_S, ws_auth_timeout_seconds=0.5)



def _shared_record(client, admin, make_container) -> str:
    made = make_container()
    sync(admin, "local")
    rows = client.get("/api/resources", params={"provider_id": "local", "limit": 1000}, headers=admin.headers).json()
    return next(r["id"] for r in rows if r["external_id"] == made.id)


def test_a_member_hears_only_of_what_they_may_see(client, admin, member, make_account, make_container):
    alice, bob = member, make_account()
    shared = _shared_record(client, admin, make_container)
    with client.websocket_connect(f"/ws?token={bob.key}") as bob_ws, \
            client.websocket_connect("/ws", subprotocols=["cloudfold.bearer", alice.key]) as alice_ws, \
            client.websocket_connect(f"/ws?token={admin.key}") as admin_ws:
        mine = make(alice, "/api/resources", {"name": "alice-secret-box", "resource_type": "vm"})
        assert alice.client.put(f"/api/resources/{mine['id']}", json={"tags": {"a": "b"}},
                                headers=alice.headers).status_code == 200
        r = client.put(f"/api/resources/{shared}", json={"tags": {"seen": "by all"}}, headers=admin.headers)
        assert r.status_code == 200, r.text

        heard = events_until(bob_ws, lambda e: e["resource_id"] == str(shared))
        assert all(e["resource_id"] != str(mine["id"]) and "alice-secret-box" not in json.dumps(e) for e in heard)
        assert all(not k.startswith("_") for e in heard for k in e)  # ownership facts stay inside
        alices = events_until(alice_ws, lambda e: e["resource_id"] == str(mine["id"]))
        assert alices[-1]["action"] == "create" and alices[-1]["name"] == "alice-secret-box"
        events_until(admin_ws, lambda e: e["resource_id"] == str(mine["id"]))  # admins hear everything


def _closed_within(ws, seconds: float) -> int:
    start = time.monotonic()
    with pytest.raises(WebSocketDisconnect) as closed:
        while True:
            ws.receive_text()  # events or pongs may come first
    assert time.monotonic() - start < seconds
    return closed.value.code


def _revoke_key(client, account, key: dict) -> None:
    assert client.delete(f"/auth/keys/{key['id']}", headers=account.headers).status_code == 204


def _disable(client, account, key: dict) -> None:
    update_user(client, account.email, is_active=False)


def _reset_password(client, account, key: dict) -> None:
    assert reset(client, request_reset_token(client, account.email)).status_code == 200


ENDINGS = [(end, transport) for end in (_revoke_key, _disable, _reset_password)
           for transport in ("query", "subprotocol", "first_message", "jwt")
           if not (transport == "jwt" and end is _revoke_key)]  # a session (JWT) has no key to revoke


@pytest.mark.parametrize(("end", "transport"), ENDINGS)
def test_an_open_socket_is_closed_when_its_credential_ends(client, member, end, transport):
    key = create_key(client, member.headers, name="socket")
    credential = member.jwt() if transport == "jwt" else key["key"]
    if transport == "query":
        connect = client.websocket_connect(f"/ws?token={credential}")
    elif transport == "subprotocol":
        connect = client.websocket_connect("/ws", subprotocols=["cloudfold.bearer", credential])
    else:
        connect = client.websocket_connect("/ws" if transport == "first_message" else f"/ws?token={credential}")
    with connect as ws:
        if transport == "first_message":
            ws.send_text(json.dumps({"type": "auth", "token": credential}))
            assert json.loads(ws.receive_text()) == {"type": "auth", "ok": True}
        ws.send_text("ping")
        assert json.loads(ws.receive_text()) == {"type": "pong"}
        end(client, member, key)
        assert _closed_within(ws, RECHECK_S * 10 + 2) == 4401


def test_the_subprotocol_transport_answers_with_its_name(client, member):
    with client.websocket_connect("/ws", subprotocols=["cloudfold.bearer", member.key]) as ws:
        assert ws.accepted_subprotocol == "cloudfold.bearer"
        ws.send_text(json.dumps({"type": "ping"}))
        assert json.loads(ws.receive_text()) == {"type": "pong"}


@pytest.mark.parametrize("first", [None, "ping", '{"type": "auth"}', '{"type": "auth", "token": "cfk_nope"}',
                                   '{"type": "auth", "token": 5}', "[1, 2]", b"\x00binary"])
def test_a_socket_without_a_good_first_message_is_closed(client, first):
    with client.websocket_connect("/ws") as ws:
        if isinstance(first, bytes):
            ws.send_bytes(first)
        elif first is not None:
            ws.send_text(first)
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_text()
    assert closed.value.code == 4401


@pytest.mark.parametrize("how", ["query", "subprotocol"])
def test_a_bad_handshake_credential_is_refused(client, how):
    connect = (client.websocket_connect("/ws?token=cfk_nope") if how == "query"
               else client.websocket_connect("/ws", subprotocols=["cloudfold.bearer", "cfk_nope"]))
    with pytest.raises(WebSocketDisconnect) as closed:
        with connect as ws:
            ws.receive_text()
    assert closed.value.code == 4401



def test_revoking_a_key_closes_its_socket_at_once(make_client, make_account):
    """With a long periodic check, the in-process revocation signal still closes the socket."""
    client = make_client(ws_recheck_seconds=60)
    owner = make_account(client_=client)
    key = create_key(client, owner.headers, name="prompt")
    with client.websocket_connect("/ws", subprotocols=["cloudfold.bearer", key["key"]]) as ws:
        ws.send_text("ping")
        assert json.loads(ws.receive_text()) == {"type": "pong"}
        _revoke_key(client, owner, key)
        assert _closed_within(ws, 5) == 4401
