"""The README's local-cloud walkthrough, run as written: its shell block, with bash, curl and
jq, against a real `cloudfold serve` process on the tests' Podman engine. This is issue 4's
"done when": a VPC with two subnets, a volume, three instances from a locally built image with
published ports, a web server reached through one, the machines seen through every face, and
stop, reboot and delete through each face."""

from __future__ import annotations
import os
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
import docker
import slots
import httpx
import pytest
from engine import TEST_LABELS
from localcloud_support import POOL, remove_labelled
from serve_process import free_port, run_cli, serving

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCK = re.compile(r"<!-- walkthrough -->\s*```sh\n(.*?)```\s*<!-- /walkthrough -->", re.S)
LABELS = {**TEST_LABELS, "cloudfold.test.walkthrough": uuid.uuid4().hex[:12]}


def walkthrough() -> str:
    found = BLOCK.search(README.read_text())
    assert found, "README.md has no walkthrough block"
    return found.group(1)


def three_free_ports() -> int:
    """A P where P, P+1 and P+2 are free on 127.0.0.1."""
    for _ in range(50):
        base = free_port()
        if base < 65000 and all(slots.bindable(base + i) for i in (1, 2)):
            return base
    raise AssertionError("no three consecutive free ports")


@pytest.fixture
def env(tmp_path, database_url, engine_socket) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLOUDFOLD_")}
    env.update(CLOUDFOLD_DATA_DIR=str(tmp_path / "cfdata"), CLOUDFOLD_DATABASE_URL=database_url,
               CLOUDFOLD_DOCKER_HOST=engine_socket, CLOUDFOLD_LOCAL_VPC_POOL=POOL,
               CLOUDFOLD_RATE_LIMIT_ACTIONS="100/minute")
    return env


@pytest.fixture
def engine_cleanup(engine_socket):
    yield
    remove_labelled(engine_socket, LABELS)


def test_the_readme_walkthrough_runs_as_written(tmp_path, env, engine_socket, engine_cleanup):
    if shutil.which("jq") is None:
        pytest.fail("jq is not installed: run scripts/install-test-deps")
    run_cli(env, "user", "create", "ops@example.com", "--password", "s3cret-pass", "--admin")
    key = run_cli(env, "apikey", "create", "--user", "ops@example.com").stdout.strip()
    # the walkthrough calls .venv/bin/cloudfold from where it runs: this interpreter's
    (tmp_path / ".venv").symlink_to(Path(sys.executable).parent.parent)
    with serving(env, tmp_path / "serve.log") as base:
        # this session's labels on everything the engine makes, so a failed run leaves nothing
        r = httpx.put(base + "/api/providers/local", json={"config": {"docker_host": engine_socket, "labels": LABELS}},
                      headers={"X-API-Key": key})
        assert r.status_code == 200, r.text
        port = three_free_ports()
        run = subprocess.run(["bash", "-euo", "pipefail", "-c", walkthrough()], cwd=tmp_path, capture_output=True,
                             text=True, timeout=600, env={**env, "CF": base, "KEY": key, "P": str(port)})
        with open(tmp_path / "serve.log") as log:
            server_log = log.read()[-3000:]
        assert run.returncode == 0, f"{run.stdout}\n{run.stderr}\n--- server log ---\n{server_log}"
        check_transcript(run.stdout.splitlines())

        # nothing left on the engine, and the audit log holds every step
        engine = docker.DockerClient(base_url=engine_socket, timeout=60)
        try:
            mine = [f"{k}={v}" for k, v in LABELS.items()]
            assert not engine.containers.list(all=True, filters={"label": mine})
            assert not engine.networks.list(filters={"label": mine})
            assert not engine.volumes.list(filters={"label": mine})
        finally:
            engine.close()
        audit = httpx.get(base + "/monitor/audit", params={"limit": 200}, headers={"X-API-Key": key}).json()
        actions = [e["action"] for e in audit["events"]]
        for expected in ("vpc.create", "subnet.create", "volume.create", "instance.create", "resource.stop",
                         "resource.reboot", "resource.start", "resource.terminate", "subnet.delete",
                         "vpc.delete", "volume.delete"):
            assert expected in actions, f"{expected} not audited: {sorted(set(actions))}"


def check_transcript(lines: list[str]) -> None:
    """The walkthrough's printed answers, in order (each line is one jq -c answer)."""
    it = iter(lines)

    def expect(pattern: str) -> str:
        for line in it:
            if re.search(pattern, line):
                return line
        raise AssertionError(f"no line matching {pattern!r} after this point in:\n" + "\n".join(lines))

    expect(r"<title>cloudfold</title>")
    for n in (1, 2, 3):
        expect(rf'"name":"web-{n}","status":"running","private_ip":"10\.')
    for n in (1, 2, 3):
        expect(rf'"name":"web-{n}-[0-9a-f]{{8}}","status":"running"')  # seed 004 names the engine's container
    expect(r'^\{"vmid":\d+,"status":"running"\}$')
    expect(r'"status":"healthy","running":3,"total":3')
    expect(r'"id":"[^"]*demo-web","status":"healthy","running":3')
    for n in (1, 2, 3):
        expect(rf'"resource_name":"web-{n}-[0-9a-f]{{8}}","status":"running"')
    expect(r'"name":"web-3-[0-9a-f]{8}","status":"running","resource_type":"container"')
    expect(r'^\{"name":"web-1","status":"stopped"\}$')
    expect(r'^\{"name":"web-1","status":"running"\}$')
    expect(r'^\{"vmid":\d+,"status":"stopped"\}$')
    expect(r'^\{"action":"stop","status":"stopped"\}$')
    expect(r'^\{"action":"start","status":"running"\}$')
    expect(r'^\{"action":"reboot","previousStatus":"running","status":"running"\}$')
    expect(r'^\{"restarted":3,"failed":0,"status":"healthy"\}$')
    history = expect(r'reboot via POST /vms/\{vmId\}/reboot')
    assert "start via POST /api/resources/{id}/action" in history
    expect(r'"status":"terminated"')
    expect(r'^\{"action":"terminate","status":"terminated"\}$')
    for _ in range(4):
        expect(r'^\{"id":"[0-9a-f-]+"\}$')
    expect(r"^\[\]$")
