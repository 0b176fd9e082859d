"""A sync killed half-way (SIGKILL of a real `cloudfold sync` process, mid-paging through
moto) loses nothing, and the next sync, asked for at once, converges: every instance once,
nothing vanished (no waiting for the dead sync's lock to go stale)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import boto3
from sqlalchemy import func, select

from inventory_support import register, sync
from moto_server import moto, moto_url  # noqa: F401  (fixtures)
import pytest

pytestmark = pytest.mark.database  # also run on PostgreSQL in CI

INSTANCES = 5000


def _count(sessions, slug: str) -> tuple[int, int]:
    from cloudfold.db.models import Account, Resource

    with sessions() as s:
        account_id = s.scalar(select(Account.id).where(Account.slug == slug))
        total = s.scalar(select(func.count()).select_from(Resource).where(
            Resource.account_id == account_id, Resource.kind == "vm"))
        vanished = s.scalar(select(func.count()).select_from(Resource).where(
            Resource.account_id == account_id, Resource.vanished.is_(True)))
    return total, vanished


def test_killed_sync_then_next_sync_converges(make_client, make_account, moto, tmp_path, database_url):
    ec2 = boto3.client("ec2", endpoint_url=moto, region_name="us-east-1", aws_access_key_id="x",
                       aws_secret_access_key="y")
    ami = ec2.describe_images()["Images"][0]["ImageId"]
    for _ in range(INSTANCES // 1000):
        ec2.run_instances(ImageId=ami, MinCount=1000, MaxCount=1000, InstanceType="t3.micro")

    client = make_client()  # the default lock staleness (minutes): the takeover must not wait for it
    admin = make_account("admin", client_=client)
    register(admin, "aws", "aws-kill", {"endpoint_url": moto, "regions": ["us-east-1"], "read_timeout": 900},
             {"access_key": "x", "secret_key": "y"}, region="us-east-1")
    sessions = client.app.state.runtime.sessions

    env = {k: v for k, v in os.environ.items() if not k.startswith("CLOUDFOLD_")}
    env.update(CLOUDFOLD_DATA_DIR=str(tmp_path / "data"), CLOUDFOLD_DATABASE_URL=database_url)
    err = open(tmp_path / "sync.err", "w+")
    proc = subprocess.Popen([sys.executable, "-m", "cloudfold", "sync", "aws-kill"], env=env,
                            stdout=subprocess.DEVNULL, stderr=err)
    deadline = time.monotonic() + 900  # moto's describe_instances is slow on a loaded machine
    partial = 0
    while time.monotonic() < deadline and proc.poll() is None:
        partial, _ = _count(sessions, "aws-kill")
        if partial > 0:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    partial, vanished = _count(sessions, "aws-kill")
    err.seek(0)
    assert 0 < partial < INSTANCES, f"the kill should land mid-sync (saw {partial}): {err.read()[-2000:]}"
    assert vanished == 0

    # its process is gone (domain/workers.py): the next request takes the lock over at once
    result = sync(admin, "aws-kill")["result"]
    assert result["seen"] >= INSTANCES and result["vanished"] == 0
    total, vanished = _count(sessions, "aws-kill")
    assert (total, vanished) == (INSTANCES, 0)
    r = client.get("/inventory/vms", params={"provider": "aws", "limit": 1}, headers=admin.headers)
    assert r.headers["X-Total-Count"] == str(INSTANCES)
