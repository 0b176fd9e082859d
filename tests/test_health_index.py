"""Health (/health, /health/live, /health/ready, /api/health with X-Cache-Status) and API
discovery (/, /api/docs, /api/schema, /docs)."""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from cloudfold import __version__
from helpers_redis import closed_redis_url, redis_server, redis_url  # noqa: F401  (fixtures)

MISSING_SOCKET = "unix:///nonexistent/cloudfold-test/docker.sock"


class _DockerPing(BaseHTTPRequestHandler):
    """Just enough of the Docker Engine API for a client to connect and ping."""

    def do_GET(self):  # noqa: N802
        if self.path.endswith("/version"):
            body, ctype = json.dumps({"ApiVersion": "1.43", "Version": "24.0.0"}).encode(), "application/json"
        elif self.path.endswith("/_ping"):
            body, ctype = b"OK", "text/plain"
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def docker_standin():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _DockerPing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"tcp://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def recent(value: str) -> bool:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return abs(moment - datetime.now(timezone.utc)) < timedelta(minutes=1)


def test_health(client):
    r = client.get("/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "healthy" and body["database"] == "connected"
    assert body["version"] == __version__ and recent(body["timestamp"])


def test_liveness(client):
    r = client.get("/health/live")
    assert r.status_code == 200 and r.json() == {"status": "ok"}


def test_readiness_up(client):
    r = client.get("/health/ready")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "UP" and body["checks"] == {"database": "CONNECTED"}
    assert body["errors"] == {} and recent(body["time"])


def test_readiness_checks_a_live_redis(make_client, redis_url):  # noqa: F811
    body = make_client(redis_url=redis_url).get("/health/ready").json()
    assert body["status"] == "UP" and body["checks"] == {"database": "CONNECTED", "redis": "CONNECTED"}


@pytest.mark.parametrize("setting,check", [("redis_url", "redis"), ("docker_host", "docker")])
def test_readiness_degraded_when_a_dependency_is_down(make_client, setting, check):
    value = closed_redis_url() if setting == "redis_url" else MISSING_SOCKET
    c = make_client(**{setting: value})
    r = c.get("/health/ready")
    assert r.status_code == 503
    body = r.json()
    assert body["status"] == "DEGRADED"
    assert body["checks"] == {"database": "CONNECTED", check: "DISCONNECTED"}
    assert set(body["errors"]) == {check} and body["errors"][check]
    # Liveness does not depend on anything.
    assert c.get("/health/live").status_code == 200
    assert c.get("/health").status_code == 200


def test_readiness_up_with_a_reachable_engine(make_client, docker_standin):
    body = make_client(docker_host=docker_standin).get("/health/ready").json()
    assert body["status"] == "UP" and body["checks"] == {"database": "CONNECTED", "docker": "CONNECTED"}


def node_health(client):
    r = client.get("/api/health")
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"status", "proxmox_connected", "database_connected", "timestamp"}
    assert isinstance(body["timestamp"], int) and abs(body["timestamp"] - time.time()) < 60
    assert body["database_connected"] is True
    return body, r.headers["x-cache-status"]


@pytest.mark.parametrize("docker_host", [None, MISSING_SOCKET], ids=["no-engine", "engine-down"])
def test_node_health_without_an_engine(make_client, docker_host):
    body, cache_status = node_health(make_client(docker_host=docker_host))
    assert body["status"] == "degraded" and body["proxmox_connected"] is False
    assert cache_status == "offline"


def test_node_health_with_an_engine(make_client, docker_standin):
    body, cache_status = node_health(make_client(docker_host=docker_standin))
    assert body["status"] == "healthy" and body["proxmox_connected"] is True
    assert cache_status == "online"


def test_health_needs_no_credentials_and_leaks_no_secrets(make_client):
    secret_url = "redis://:hunter2-password@127.0.0.1:1/0"
    c = make_client(redis_url=secret_url)
    for path in ("/health", "/health/live", "/health/ready", "/api/health"):
        r = c.get(path)
        assert r.status_code in (200, 503), (path, r.text)
        assert "hunter2" not in r.text


def test_root_lists_the_families_and_their_endpoints(client):
    r = client.get("/")
    assert r.status_code == 200
    body = r.json()
    assert body["name"] == "cloudfold" and body["version"] == __version__
    assert body["docs"] == "/docs" and body["openapi"] == "/openapi.json"
    families = {f["name"]: f["endpoints"] for f in body["families"]}
    assert list(families) == sorted(families)
    assert {"apikeys", "auth", "health", "index", "monitor", "tasks"} <= set(families)
    assert body["total_endpoints"] == sum(len(e) for e in families.values())
    endpoints = {(e["method"], e["path"]): e for eps in families.values() for e in eps}
    assert all(set(e) == {"method", "path", "auth", "summary"} for e in endpoints.values())
    expected = {
        ("POST", "/auth/keys"): "write",
        ("GET", "/auth/keys"): "read",
        ("DELETE", "/auth/keys/{key_id}"): "write",
        ("GET", "/monitor/audit"): "read",
        ("GET", "/tasks/{task_id}"): "read",
        ("GET", "/health/ready"): "none",
        ("POST", "/auth/login"): "none",
    }
    assert {k: endpoints[k]["auth"] for k in expected} == expected
    assert endpoints[("GET", "/health/live")]["summary"]


def test_root_agrees_with_the_specification(client):
    spec = client.get("/openapi.json").json()
    documented = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops}
    listed = {(e["method"], e["path"]) for f in client.get("/").json()["families"] for e in f["endpoints"]}
    assert listed == documented


def test_api_docs_is_the_openapi_specification(client):
    r = client.get("/api/docs")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    spec = r.json()
    assert spec["openapi"].startswith("3.") and spec["info"]["title"] == "cloudfold"
    assert spec["info"]["version"] == __version__
    assert {"/auth/keys", "/auth/keys/{key_id}/rotate", "/health/ready", "/monitor/audit", "/tasks/{task_id}"} \
        <= set(spec["paths"])
    assert spec == client.get("/openapi.json").json()


def test_api_schema_lists_the_json_schemas(client):
    r = client.get("/api/schema")
    assert r.status_code == 200
    schemas = r.json()["schemas"]
    assert {"KeyCreate", "KeyCreatedOut", "ErrorResponse", "AuditPage", "TaskOut"} <= set(schemas)
    assert schemas["KeyCreate"]["required"] == ["name"]
    assert set(schemas["ErrorResponse"]["properties"]) >= {"error", "code", "message", "detail", "success"}
    assert schemas == client.get("/openapi.json").json()["components"]["schemas"]


def test_swagger_ui(client):
    r = client.get("/docs")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "swagger-ui" in r.text.lower() and "/openapi.json" in r.text
