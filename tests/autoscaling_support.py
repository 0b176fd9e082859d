"""Helpers for the autoscaling tests: groups made over HTTP, reconcile rounds driven directly
(as the `autoscaling.reconcile` job runs them), and the engine's view of a group."""

from __future__ import annotations

import time
import uuid

import docker
from engine import IMAGE
from localcloud_support import LABELS

from cloudfold.domain.autoscaling import reconcile

MINE = [f"{k}={v}" for k, v in LABELS.items()]
QUIET = {"autoscaling_interval_seconds": 3600, "metrics_sample_seconds": 3600}  # rounds only when a test asks


def group_body(**fields) -> dict:
    return {"name": f"g{uuid.uuid4().hex[:6]}", "launch_template": {"image": IMAGE, "command": ["sleep", "600"]},
            "min_size": 1, "max_size": 3, "desired_capacity": 1, **fields}


def create(account, status: int = 201, **fields) -> dict:
    r = account.client.post("/autoscaling/groups", json=group_body(**fields), headers=account.headers)
    assert r.status_code == status, r.text
    return r.json()


def get(account, group_id: str) -> dict:
    r = account.client.get(f"/autoscaling/groups/{group_id}", headers=account.headers)
    assert r.status_code == 200, r.text
    return r.json()


def activities(account, group_id: str) -> list[dict]:
    r = account.client.get(f"/autoscaling/groups/{group_id}/activities", headers=account.headers)
    assert r.status_code == 200, r.text
    return r.json()


def round_(client, group_id: str, now=None, timeout: float = 60.0) -> dict:
    """One reconcile round of the group, waiting while another round (the one a create asks
    for) holds its lease."""
    rt = client.app.state.runtime
    deadline = time.monotonic() + timeout
    while True:
        with rt.sessions() as session:
            out = reconcile.reconcile_group(session, rt, group_id, now)
        if out.get("skipped") != reconcile.HELD:
            return out
        assert time.monotonic() < deadline, "the group's lease was never free"
        time.sleep(0.2)


def containers(engine_socket: str, group_id: str, running_only: bool = True) -> list:
    """This test's containers of the group on the engine (label cloudfold.group)."""
    engine = docker.DockerClient(base_url=engine_socket, timeout=60)
    try:
        return engine.containers.list(all=not running_only,
                                      filters={"label": [*MINE, f"cloudfold.group={group_id}"]})
    finally:
        engine.close()


def kill(engine_socket: str, container_id: str) -> None:
    engine = docker.DockerClient(base_url=engine_socket, timeout=60)
    try:
        engine.containers.get(container_id).kill()
    finally:
        engine.close()
