"""The crash suite (issue 9): `cloudfold serve` killed with SIGKILL at seeded random points while
creates (seed 003 POST /instances, seed 004 POST /api/containers), deletes, actions, an AWS sync
(moto, a few hundred instances) and idempotent POSTs are in flight, then started again.

After every restart, within a deadline (the reconciler runs in the background):
- every engine object cloudfold made has exactly one record, its labelled one, with its owner;
- no record is stuck in a transitional state; every task has ended or runs under a live process;
- the sync lock is free or held by a live sync, and a sync asked for now runs (never merges
  into the dead one);
- an idempotent POST cut short by the kill, sent again (keys in another order), runs once.

CLOUDFOLD_CRASH_ITERATIONS sets the number of kills (default 5, about 2-3 minutes on two
cores); CLOUDFOLD_CRASH_SEED the seed (printed, so a failing run can be replayed)."""

from __future__ import annotations

import os
import itertools
import random
import threading
import uuid

import boto3
import pytest

from crash_harness import Drive, Rig, make_user, reordered, settle, until, violations
from engine import BUSYBOX, IMAGE, TEST_LABELS
from localcloud_support import POOL, remove_labelled
from moto_server import moto, moto_url  # noqa: F401  (fixtures)

pytestmark = pytest.mark.database  # locks, takeovers and upserts: run on PostgreSQL too

ITERATIONS = int(os.environ.get("CLOUDFOLD_CRASH_ITERATIONS", "5"))
SEED = int(os.environ.get("CLOUDFOLD_CRASH_SEED", str(random.randrange(2**32))))
AWS_INSTANCES = 300
TEMPLATE = f"{BUSYBOX.name.rsplit('/', 1)[-1]}-{BUSYBOX.tag}-standard"
LABELS = {**TEST_LABELS, "cloudfold.test.crash": uuid.uuid4().hex[:12]}
HIGH = "100000/minute"


@pytest.fixture
def rig(tmp_path, database_url, engine_socket):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLOUDFOLD_")}
    env.update(CLOUDFOLD_DATA_DIR=str(tmp_path / "cfdata"), CLOUDFOLD_DATABASE_URL=database_url,
               CLOUDFOLD_DOCKER_HOST=engine_socket, CLOUDFOLD_LOCAL_VPC_POOL=POOL,
               CLOUDFOLD_RATE_LIMIT_DEFAULT=HIGH, CLOUDFOLD_RATE_LIMIT_ACTIONS=HIGH, CLOUDFOLD_RATE_LIMIT_AUTH=HIGH,
               CLOUDFOLD_EGRESS_ALLOW='["127.0.0.0/8"]', CLOUDFOLD_WORKER_HEARTBEAT_SECONDS="0.5",
               CLOUDFOLD_MONITOR_ENGINE="false",  # moto's instances have made-up public addresses: never probed
               CLOUDFOLD_RECONCILE_INTERVAL_SECONDS="3", CLOUDFOLD_QUOTA_DEFAULTS='{"instances": 1000, "vcpus": 100000, "memory_mb": 100000000, "subnets": 1000, '
                                        '"volumes": 1000, "volume_gb": 100000}')
    r = Rig(env, tmp_path, database_url)
    yield r
    r.stop()
    remove_labelled(engine_socket, LABELS)


def _aws(moto: str) -> None:
    ec2 = boto3.client("ec2", endpoint_url=moto, region_name="us-east-1", aws_access_key_id="x",
                       aws_secret_access_key="y")
    ami = ec2.describe_images()["Images"][0]["ImageId"]
    ec2.run_instances(ImageId=ami, MinCount=AWS_INSTANCES, MaxCount=AWS_INSTANCES, InstanceType="t3.micro")


def _setup(rig: Rig, engine_socket: str, moto: str) -> tuple[str, str]:
    admin = make_user(rig.env, "admin@example.com", admin=True)
    member = make_user(rig.env, "member@example.com")
    rig.start()
    r = rig.call("PUT", "/api/providers/local", admin,
                 json={"config": {"docker_host": engine_socket, "labels": LABELS}})
    assert r.status_code == 200, r.text
    r = rig.call("POST", "/api/providers", admin, json={
        "id": "aws-crash", "provider_type": "aws", "display_name": "moto", "region": "us-east-1",
        "config": {"endpoint_url": moto, "regions": ["us-east-1"], "read_timeout": 300},
        "credentials": {"access_key": "x", "secret_key": "y"}})
    assert r.status_code == 201, r.text
    return admin, member


def _task_done(rig: Rig, key: str, task_id: str) -> dict | None:
    body = rig.call("GET", f"/tasks/{task_id}", key, timeout=10).json()
    return body if body["status"] in ("succeeded", "failed") else None


def _retry(rig: Rig, drive: Drive) -> None:
    """Every idempotent POST the kill cut short is answered when sent again (keys reordered):
    its record of the dead request is released, never "still in progress"."""
    for retry in drive.retries:
        r = rig.call("POST", retry.path, drive.member, content=reordered(retry.body),
                     headers={"Idempotency-Key": retry.key, "Content-Type": "application/json"})
        assert r.status_code == 201, f"retry of {retry.name}: {r.status_code} {r.text}"
        again = rig.call("POST", retry.path, drive.member, json=retry.body, headers={"Idempotency-Key": retry.key})
        assert again.status_code == 201 and again.json()["id"] == r.json()["id"], again.text


def _ran_once(rig: Rig, drive: Drive) -> list[str]:
    """Each retried request's object exists once (the dead attempt's half is rolled back)."""
    listed = {path: [o["name"] for o in rig.call("GET", path, drive.member).json()]
              for path in {r.listing for r in drive.retries}}
    return [f"{r.name} exists {listed[r.listing].count(r.name)} times after its retry" for r in drive.retries
            if listed[r.listing].count(r.name) != 1]


def _check_sync(rig: Rig, drive: Drive) -> None:
    """A sync asked for after the restart runs (the dead one's lock is free at once)."""
    r = rig.call("POST", "/api/resources/sync/aws-crash", drive.admin)
    assert r.status_code == 202, r.text
    task = until(lambda: _task_done(rig, drive.admin, r.json()["task_id"]), 240, "the sync after the restart ended")
    assert task["status"] == "succeeded", task
    result = task["result"]
    if result.get("merged_into"):  # it merged into a live sync this process started: that one ran
        merged = until(lambda: _task_done(rig, drive.admin, result["merged_into"]), 240, "the merged-into sync ended")
        assert merged["status"] == "succeeded" and "seen" in merged["result"], merged
    else:
        assert result["seen"] >= AWS_INSTANCES, result


def test_kill_9_anywhere_loses_nothing_and_blocks_nothing(rig, engine_socket, moto):
    print(f"crash suite: seed {SEED}, {ITERATIONS} iterations")
    rng = random.Random(SEED)
    _aws(moto)
    admin, member = _setup(rig, engine_socket, moto)
    vpc = rig.call("POST", "/vpcs", member, json={"name": "crash-vpc", "cidr_block": POOL}).json()
    subnet_numbers = itertools.count(1)  # one /24 per subnet create, never reused
    for i in range(ITERATIONS):
        drive = Drive(rig, rng, member, admin, IMAGE, TEMPLATE, "aws-crash", vpc, subnet_numbers)
        drive.burst()
        point = rng.uniform(0.05, 1.2)
        killed = threading.Event()
        killed.wait(point)  # the kill point: seeded, anywhere in the requests' work
        rig.kill()
        drive.join()
        print(f"iteration {i}: killed {point:.2f} s in: {drive.outcomes}")
        rig.start()
        _retry(rig, drive)
        if drive.synced:
            _check_sync(rig, drive)
        bad = settle(lambda: violations(rig, engine_socket, LABELS) + _ran_once(rig, drive), 90)
        assert not bad, f"iteration {i} (seed {SEED}, killed {point:.2f} s in): {bad}"
