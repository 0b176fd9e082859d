"""The probe engine against real servers on 127.0.0.1 that the tests start
(tests/monitor_targets.py): HTTP status and keyword, TLS (valid, expiring, expired, wrong
name), TCP, SSH banner, ping, DNS through Debian's dnsmasq, and targets that refuse, hang or
answer garbage — each a failed check, never a stuck engine. Monitors are made through the API
and probed by the engine the app runs; results are read back through the API."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

import monitor_targets
from helpers_api import wait_until

pytestmark = pytest.mark.database  # claims and batched writes: also run on PostgreSQL in CI


@pytest.fixture(scope="module")
def targets(tmp_path_factory):
    t = monitor_targets.start(tmp_path_factory.mktemp("targets"))
    yield t
    t.close()


@pytest.fixture
def probing(make_client, make_account, targets):
    client = make_client(monitor_engine=True, egress_allow=["127.0.0.0/8"], monitor_ca_file=targets.ca_file, monitor_jitter_seconds=0,
                         monitor_tick_seconds=0.1, monitor_retry_seconds=1, monitor_min_interval_seconds=2)
    return client, make_account("member", client_=client)


def _add(client, who, kind, target, **extra):
    body = {"kind": kind, "target": target, "timeout_seconds": 2, "retries": 0, "interval_seconds": 3600, **extra}
    r = client.post("/api/monitors", json=body, headers=who.headers)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _checked(client, who, ids, timeout=20.0) -> dict[int, dict]:
    def all_done():
        got = {i: client.get(f"/api/monitors/{i}", headers=who.headers).json() for i in ids}
        return got if all(m["state"] != "pending" for m in got.values()) else None

    return wait_until(all_done, timeout, "every monitor checked")


def test_http_status_keyword_and_bad_servers(probing, targets):
    client, alice = probing
    ids = {
        "ok": _add(client, alice, "http", targets.http),
        "head": _add(client, alice, "http", targets.http, config={"method": "HEAD"}),
        "500": _add(client, alice, "http", targets.http + "500"),
        "500 accepted": _add(client, alice, "http", targets.http + "500", config={"accepted_statuses": "500-599"}),
        "keyword": _add(client, alice, "http", targets.http, config={"keyword": "cloudfold's test target"}),
        "no keyword": _add(client, alice, "http", targets.http, config={"keyword": "not in the page"}),
        "hanging": _add(client, alice, "http", f"http://{targets.hanging}/", timeout_seconds=1),
        "garbage": _add(client, alice, "http", f"http://{targets.garbage}/"),
        "closed": _add(client, alice, "http", f"http://{targets.closed}/"),
    }
    got = _checked(client, alice, ids.values())
    m = {name: got[i] for name, i in ids.items()}
    for name in ("ok", "head", "500 accepted", "keyword"):
        assert m[name]["state"] == "up" and m[name]["last_error"] is None, (name, m[name])
        assert m[name]["last_latency_ms"] > 0
    assert m["ok"]["last_status_code"] == 200 and m["500 accepted"]["last_status_code"] == 500
    assert m["500"]["state"] == "down" and m["500"]["last_error"] == "HTTP status 500 not accepted"
    assert m["no keyword"]["state"] == "down" and m["no keyword"]["last_error"] == "keyword not found"
    assert m["hanging"]["state"] == "down" and m["hanging"]["last_error"] == "timed out"
    assert m["garbage"]["state"] == "down" and m["garbage"]["last_error"] in ("invalid HTTP answer", "connection reset")
    assert m["closed"]["state"] == "down" and m["closed"]["last_error"] == "connection refused"
    history = client.get(f"/api/monitors/{ids['ok']}/checks", headers=alice.headers).json()
    assert [c["ok"] for c in history["checks"]] == [True] and history["checks"][0]["status_code"] == 200
    uptime = client.get(f"/api/monitors/{ids['500']}/uptime", headers=alice.headers).json()["uptime"]
    assert uptime["24h"] == {"percent": 0.0, "checks": 1, "avg_latency_ms": uptime["24h"]["avg_latency_ms"]}
    assert client.get(f"/api/monitors/{ids['ok']}", headers=alice.headers).json()["uptime"]["30d"]["percent"] == 100.0
    # the engine went on after the hanging and garbage targets: a new monitor is still probed
    late = _add(client, alice, "http", targets.http)
    assert _checked(client, alice, [late])[late]["state"] == "up"


def test_tls_certificates(probing, targets):
    client, alice = probing
    ids = {name: _add(client, alice, "http", url) for name, url in targets.https.items()}
    ids["expired, not verified"] = _add(client, alice, "http", targets.https["expired"], config={"verify_tls": False})
    m = {name: got for name, got in zip(ids, _checked(client, alice, ids.values()).values())}
    now = datetime.now(timezone.utc)
    assert m["valid"]["state"] == "up"
    assert datetime.fromisoformat(m["valid"]["cert_expires_at"]) > now + timedelta(days=300)
    assert m["expiring"]["state"] == "up"
    assert now + timedelta(days=3) < datetime.fromisoformat(m["expiring"]["cert_expires_at"]) < now + timedelta(days=6)
    assert m["expired"]["state"] == "down" and "expired" in m["expired"]["last_error"]
    assert m["wrong_name"]["state"] == "down" and m["wrong_name"]["last_error"].startswith("TLS: ")
    assert "mismatch" in m["wrong_name"]["last_error"].lower() or "not valid" in m["wrong_name"]["last_error"]
    assert m["expired, not verified"]["state"] == "up"


def test_tcp_ssh_ping_dns(probing, targets):
    client, alice = probing
    port = targets.http.rsplit(":", 1)[1].strip("/")
    ids = {
        "tcp": _add(client, alice, "tcp", f"127.0.0.1:{port}"),
        "tcp closed": _add(client, alice, "tcp", targets.closed),
        "ssh": _add(client, alice, "ssh", targets.ssh),
        "ssh garbage": _add(client, alice, "ssh", targets.garbage),
        "ssh hanging": _add(client, alice, "ssh", targets.hanging, timeout_seconds=1),
        "ping": _add(client, alice, "ping", "127.0.0.1"),
        "dns a": _add(client, alice, "dns", "web.cloudfold.test",
                      config={"server": targets.dns, "expected": "127.0.0.10"}),
        "dns txt": _add(client, alice, "dns", "txt.cloudfold.test",
                        config={"server": targets.dns, "record_type": "TXT", "expected": "cloudfold-verify=ok"}),
        "dns wrong answer": _add(client, alice, "dns", "web.cloudfold.test",
                                 config={"server": targets.dns, "expected": "127.0.0.99"}),
        "dns no server": _add(client, alice, "dns", "web.cloudfold.test", config={"server": targets.closed},
                              timeout_seconds=1),
    }
    m = {name: got for name, got in zip(ids, _checked(client, alice, ids.values()).values())}
    for name in ("tcp", "ssh", "ping", "dns a", "dns txt"):
        assert m[name]["state"] == "up", (name, m[name])
    assert m["tcp closed"]["last_error"] == "connection refused"
    assert m["ssh garbage"]["state"] == "down" and m["ssh garbage"]["last_error"] == "no SSH banner"
    assert m["ssh hanging"]["state"] == "down" and m["ssh hanging"]["last_error"] == "timed out"
    assert m["dns wrong answer"]["state"] == "down" and m["dns wrong answer"]["last_error"] == "expected answer not found"
    assert m["dns no server"]["state"] == "down"


def test_a_failure_is_rechecked_before_down(probing, targets):
    client, alice = probing
    mid = _add(client, alice, "tcp", targets.closed, retries=2, interval_seconds=3600)
    first = wait_until(lambda: (m := client.get(f"/api/monitors/{mid}", headers=alice.headers).json())
                       ["last_checked_at"] and m, 20, "first check")
    assert first["state"] == "pending"  # one failure: re-checked soon, not yet down
    due = datetime.fromisoformat(first["next_due_at"]) - datetime.fromisoformat(first["last_checked_at"])
    assert due < timedelta(seconds=3)
    down = wait_until(lambda: (m := client.get(f"/api/monitors/{mid}", headers=alice.headers).json())
                      ["state"] == "down" and m, 20, "declared down")
    checks = client.get(f"/api/monitors/{mid}/checks", headers=alice.headers).json()["checks"]
    assert len(checks) == 3 and not any(c["ok"] for c in checks)
    # once down, the next check is an interval away
    assert datetime.fromisoformat(down["next_due_at"]) > datetime.now(timezone.utc) + timedelta(minutes=50)


def test_hanging_targets_never_stall_the_engine(make_client, make_account, targets):
    """With two probes in flight at most, eight targets that hang take turns and each fails by its
    own timeout; a healthy target queued behind them is still checked."""
    client = make_client(monitor_engine=True, egress_allow=["127.0.0.0/8"], monitor_jitter_seconds=0,
                         monitor_tick_seconds=0.1, monitor_max_concurrency=2)
    alice = make_account("member", client_=client)
    hung = [_add(client, alice, "ssh", targets.hanging, timeout_seconds=1) for _ in range(8)]
    good = _add(client, alice, "http", targets.http)
    got = _checked(client, alice, [*hung, good], timeout=30)
    assert all(got[i]["state"] == "down" and got[i]["last_error"] == "timed out" for i in hung)
    assert got[good]["state"] == "up"
    # each hung probe took its one-second timeout, two at a time: at least four seconds from first to last
    times = sorted(datetime.fromisoformat(got[i]["last_checked_at"]) for i in hung)
    assert times[-1] - times[0] >= timedelta(seconds=2.5)
