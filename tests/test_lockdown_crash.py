"""A lockdown whose process is killed (SIGKILL) mid-run is settled from the action history, not
left `running`: a real `cloudfold serve` on the tests' Podman engine stops machines one by one
(each stop takes `stop_timeout` seconds: `sleep` ignores SIGTERM), is killed after the first
stop, and is started again; the lockdown then answers `interrupted` with what it did stop, and
its restore starts exactly that again."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
import uuid

import docker
import httpx
import pytest
from engine import IMAGE, TEST_LABELS
from helpers_api import wait_until
from localcloud_support import remove_labelled
from serve_process import CLI, free_port, run_cli, serving

pytestmark = pytest.mark.database  # also run on PostgreSQL in CI

LABELS = {**TEST_LABELS, "cloudfold.test.lockcrash": uuid.uuid4().hex[:12]}


@pytest.fixture
def env(tmp_path, database_url, engine_socket) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLOUDFOLD_")}
    env.update(CLOUDFOLD_DATA_DIR=str(tmp_path / "cfdata"), CLOUDFOLD_DATABASE_URL=database_url,
               CLOUDFOLD_DOCKER_HOST=engine_socket, CLOUDFOLD_AUTO_REGISTER_LOCAL="false")
    yield env
    remove_labelled(engine_socket, LABELS)



def _start_serve(env, tmp_path):
    port = free_port()
    log = open(tmp_path / "serve-killed.log", "w")  # noqa: SIM115  (the killed process writes it to its end)
    proc = subprocess.Popen([*CLI, "serve", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"

    def up():
        try:
            return httpx.get(base + "/health/live", timeout=1).status_code == 200
        except httpx.TransportError:
            return False
    wait_until(up, 60, "cloudfold serve")
    return proc, base


def test_a_lockdown_killed_mid_run_is_settled_and_restorable(tmp_path, env, engine_socket, engine):
    run_cli(env, "user", "create", "ops@example.com", "--password", "s3cret-pass", "--admin")
    h = {"X-API-Key": run_cli(env, "apikey", "create", "--user", "ops@example.com").stdout.strip()}
    machines = [engine.containers.run(IMAGE, ["sleep", "300"], detach=True,
                                       name=f"cf-lockcrash-{i}-{uuid.uuid4().hex[:6]}", labels=LABELS)
                for i in range(3)]
    kept = engine.containers.run(IMAGE, ["sleep", "300"], detach=True, name=f"cf-lockcrash-kept-{uuid.uuid4().hex[:6]}",
                                 labels={**LABELS, "cloudfold.protect": "yes"})
    proc, base = _start_serve(env, tmp_path)
    try:
        r = httpx.post(base + "/api/providers", headers=h, json={
            "id": "podman", "provider_type": "local", "display_name": "engine",
            "config": {"docker_host": engine_socket, "labels": LABELS, "stop_timeout": 4}})
        assert r.status_code == 201, r.text
        task = httpx.post(base + "/api/resources/sync/podman", headers=h).json()["task_id"]
        wait_until(lambda: httpx.get(f"{base}/tasks/{task}", headers=h).json()["status"] == "succeeded", 60, "the sync")
        names = {c.name for c in [*machines, kept]}  # a sync merged into one running answers at once: wait for them
        wait_until(lambda: names <= {x["name"] for x in httpx.get(base + "/api/resources", headers=h, params={
            "provider_id": "podman", "limit": 1000}).json()}, 60, "the machines in the inventory")
        scope = {"scope": "tag", "tag_key": "cloudfold.test.lockcrash", "tag_value": LABELS["cloudfold.test.lockcrash"]}
        ran = threading.Thread(target=lambda: _quietly(httpx.post, base + "/api/orchestrate/lockdown", headers=h,
                                                       json={**scope, "confirm": "LOCKDOWN"}, timeout=60))
        ran.start()
        stopped = wait_until(lambda: [c.name for c in machines if _status(c) == "exited"], 30, "the first stop")
        time.sleep(0.5)  # its action history row is written right after the engine answers
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        ran.join(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

    with serving(env, tmp_path / "serve.log") as base:
        locks = httpx.get(base + "/api/orchestrate/lockdown", headers=h).json()
        assert len(locks) == 1, locks
        lock = locks[0]
        assert lock["status"] == "interrupted", lock
        names = {r["resource_id"]: r["name"] for r in lock["results"]}
        assert [names[i] for i in lock["stopped"]] == stopped[:1], (lock, stopped)
        results = {r["name"]: r["result"] for r in lock["results"]}
        assert results[stopped[0]] == "success" and "not_reached" in results.values(), results
        assert "pending" not in results.values()
        # the first of three stopped; the kill came during the second; the protected one is listed as kept
        assert sorted(results.values()) == ["not_reached", "not_reached", "protected", "success"], results
        audit = httpx.get(base + "/monitor/audit", headers=h, params={"limit": 100}).json()
        assert "lockdown.interrupted" in {e["action"] for e in audit["events"]}

        r = httpx.post(f"{base}/api/orchestrate/lockdown/{lock['id']}/restore", headers=h, timeout=60)
        assert r.status_code == 200 and r.json()["status"] == "restored", r.text
        first = next(c for c in machines if c.name == stopped[0])
        assert _status(first) == "running" and _status(kept) == "running"
        assert httpx.post(f"{base}/api/orchestrate/lockdown/{lock['id']}/restore", headers=h).status_code == 409


def _status(container) -> str:
    try:
        container.reload()
    except docker.errors.NotFound:
        return "gone"
    return container.status


def _quietly(fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except httpx.TransportError:
        pass  # the server was killed under it
