#!/usr/bin/env python
"""Sync benchmark of cloudfold: ``cloudfold sync`` of an AWS account holding 10,000 EC2
instances, served by moto, against boto3 alone paging the same instances (the floor).

    python bench/bench_sync.py [--instances N] [--floor-runs R] [--json]

What it does, end to end:

1. starts moto's server as a separate process (``moto_server -p PORT -H 127.0.0.1``, its own
   session) and creates N instances (default 10,000) with boto3 ``run_instances``, 1,000 per
   call (MinCount = MaxCount = 1000), cycling through four instance types; the instances of
   one call in ten are stopped, so statuses are mixed. moto also makes one EBS root volume per
   instance, and its default VPC with six subnets;
2. **the floor**: boto3 alone pages ``describe_instances`` (MaxResults 1000) through all N
   instances, ``--floor-runs`` times (median reported), with moto's CPU time over each run;
   then, once, boto3 alone making every other listing call the AWS driver makes (volumes,
   VPCs with their subnets/route tables/gateways, subnets, S3 buckets, Route 53 zones);
3. **the driver alone**: ``AwsDriver.pages()`` iterated in this process, no database;
4. makes a throwaway data dir, runs ``cloudfold migrate``, and registers an ``aws`` account
   ``moto`` through the domain (``accounts.create``: credentials ``{"access_key": "x",
   "secret_key": "y"}`` sealed with the data dir's key, config ``{"endpoint_url": <moto>,
   "regions": ["us-east-1"]}``);
5. times ``cloudfold sync moto`` (the CLI, a child process) end to end, twice: the first
   creates every record, the second finds nothing changed (the steady state). Each run goes
   under ``/usr/bin/time -v`` when it exists (peak RSS, user/system CPU), else the child's
   /proc VmHWM is polled. ``cloudfold sync no-such-account`` is timed the same way, for the
   CLI's fixed cost (imports, migration check, runtime) and its baseline RSS;
6. checks that the database holds N live ``vm`` records of the account, prints the table,
   and stops moto. Only 127.0.0.1 is contacted; every child has a time bound.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import common
from common import HOST, loadavg, machine

REGION = "us-east-1"
PER_CALL = 1000
INSTANCE_TYPES = ["t3.micro", "t3.small", "m5.large", "c5.xlarge"]
SLUG = "moto"
CREDENTIALS = {"access_key": "x", "secret_key": "y"}


# ------------------------------------------------------------------ moto

def start_moto(log_path: Path, wait: float = 60.0) -> tuple[subprocess.Popen, str]:
    port = common.free_port()
    url = f"http://{HOST}:{port}"
    exe = shutil.which("moto_server")
    cmd = [exe] if exe else [sys.executable, "-m", "moto.server"]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([*cmd, "-p", str(port), "-H", HOST], stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, env=common.clean_env(), start_new_session=True)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"moto exited with {proc.returncode}:\n{common.tail(log_path)}")
        try:
            with opener.open(f"{url}/moto-api/", timeout=1):
                return proc, url
        except OSError:
            time.sleep(0.2)
    common.stop_server(proc)
    raise RuntimeError(f"moto did not answer within {wait:.0f} s:\n{common.tail(log_path)}")


def ec2_client(url: str):
    import boto3
    from botocore.config import Config

    return boto3.client("ec2", region_name=REGION, endpoint_url=url, aws_access_key_id=CREDENTIALS["access_key"],
                        aws_secret_access_key=CREDENTIALS["secret_key"],
                        config=Config(read_timeout=600, retries={"max_attempts": 1}))


def create_instances(url: str, n: int, log) -> dict:
    ec2 = ec2_client(url)
    images = ec2.describe_images(Filters=[{"Name": "name", "Values": ["amzn2-ami-hvm-*"]}])["Images"]
    ami = images[0]["ImageId"] if images else "ami-12c6146b"
    t0 = time.perf_counter()
    made, stopped = 0, 0
    for call in range((n + PER_CALL - 1) // PER_CALL):
        count = min(PER_CALL, n - made)
        response = ec2.run_instances(
            ImageId=ami, MinCount=count, MaxCount=count, InstanceType=INSTANCE_TYPES[call % len(INSTANCE_TYPES)],
            TagSpecifications=[{"ResourceType": "instance",
                                "Tags": [{"Key": "env", "Value": ("prod", "dev")[call % 2]},
                                         {"Key": "batch", "Value": str(call)}]}])
        made += len(response["Instances"])
        if call % 10 == 9:  # one call in ten: stopped
            ids = [i["InstanceId"] for i in response["Instances"]]
            ec2.stop_instances(InstanceIds=ids)
            stopped += len(ids)
        log(f"  {made:,} instances")
    return {"instances": made, "stopped": stopped, "seconds": time.perf_counter() - t0, "ami": ami}


def floor_instances(url: str, moto_pid: int) -> dict:
    """boto3 alone: describe_instances pages of MaxResults 1000 through every instance."""
    ec2 = ec2_client(url)
    cpu0, moto0 = time.process_time(), common.cpu_seconds(moto_pid)
    t0 = time.perf_counter()
    count = pages = 0
    for page in ec2.get_paginator("describe_instances").paginate(PaginationConfig={"PageSize": 1000}):
        pages += 1
        count += sum(len(r.get("Instances", [])) for r in page.get("Reservations", []))
    wall = time.perf_counter() - t0
    moto1 = common.cpu_seconds(moto_pid)
    return {"instances": count, "pages": pages, "seconds": wall, "client_cpu_s": time.process_time() - cpu0,
            "moto_cpu_s": (moto1 - moto0) if moto0 is not None and moto1 is not None else None}


def floor_other_calls(url: str, moto_pid: int) -> dict:
    """boto3 alone: the driver's other listing calls (volumes, VPCs and their relations, subnets,
    S3 buckets, Route 53 zones), each paged as the driver pages it."""
    import boto3

    session = boto3.session.Session(aws_access_key_id="x", aws_secret_access_key="y")
    ec2 = ec2_client(url)
    cpu0, moto0 = time.process_time(), common.cpu_seconds(moto_pid)
    t0 = time.perf_counter()
    counts: dict[str, int] = {}

    def pages(op: str, key: str, size: int | None = None, label: str | None = None, **kw) -> None:
        config = {"PageSize": size} if size else {}
        for page in ec2.get_paginator(op).paginate(PaginationConfig=config, **kw):
            counts[label or key] = counts.get(label or key, 0) + len(page.get(key, []))

    pages("describe_volumes", "Volumes", 500)
    pages("describe_vpcs", "Vpcs", 200)
    vpcs = [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]]
    pages("describe_subnets", "Subnets", label="Subnets of the VPCs", Filters=[{"Name": "vpc-id", "Values": vpcs}])
    pages("describe_route_tables", "RouteTables", Filters=[{"Name": "vpc-id", "Values": vpcs}])
    pages("describe_internet_gateways", "InternetGateways", Filters=[{"Name": "attachment.vpc-id", "Values": vpcs}])
    pages("describe_subnets", "Subnets", 1000)
    s3 = session.client("s3", region_name=REGION, endpoint_url=url)
    counts["Buckets"] = len(s3.list_buckets().get("Buckets", []))
    r53 = session.client("route53", region_name=REGION, endpoint_url=url)
    counts["HostedZones"] = len(r53.list_hosted_zones().get("HostedZones", []))
    wall = time.perf_counter() - t0
    moto1 = common.cpu_seconds(moto_pid)
    return {"counts": counts, "seconds": wall, "client_cpu_s": time.process_time() - cpu0,
            "moto_cpu_s": (moto1 - moto0) if moto0 is not None and moto1 is not None else None}


def account_config(url: str, read_timeout: float | None) -> dict:
    config: dict = {"endpoint_url": url, "regions": [REGION]}
    if read_timeout:
        config["read_timeout"] = read_timeout
    return config


def driver_alone(url: str, moto_pid: int, read_timeout: float | None) -> dict:
    """AwsDriver.pages() in this process: boto3 + moto + mapping to Discovered, no database."""
    from cloudfold.drivers import registry
    from cloudfold.drivers.base import AccountSpec

    spec = AccountSpec(id=SLUG, provider_type="aws", region=REGION, credentials=dict(CREDENTIALS),
                       config=account_config(url, read_timeout))
    driver = registry.open_driver(spec)
    cpu0, moto0 = time.process_time(), common.cpu_seconds(moto_pid)
    t0 = time.perf_counter()
    by_kind: dict[str, int] = {}
    pages = 0
    try:
        for page in driver.pages():
            pages += 1
            for d in page:
                by_kind[d.kind] = by_kind.get(d.kind, 0) + 1
    finally:
        driver.close()
    wall = time.perf_counter() - t0
    moto1 = common.cpu_seconds(moto_pid)
    return {"by_kind": by_kind, "pages": pages, "seconds": wall, "client_cpu_s": time.process_time() - cpu0,
            "moto_cpu_s": (moto1 - moto0) if moto0 is not None and moto1 is not None else None}


# ------------------------------------------------------------------ cloudfold

def register_account(env: dict[str, str], config: dict, slug: str = SLUG) -> None:
    """An aws account, through the domain (sealed credentials), as the API would register it."""
    from sqlalchemy.orm import Session

    from cloudfold.db.engine import make_engine
    from cloudfold.domain import accounts
    from cloudfold.domain.context import Context
    from cloudfold.security.secretbox import SecretBox
    from cloudfold.settings import Settings

    with common.cloudfold_environ(env):
        settings = Settings()
        box = SecretBox.from_settings(settings)
        engine = make_engine(settings.sqlalchemy_url)
    try:
        ctx = Context(ip="bench", extra={"bench": True})
        with Session(engine, expire_on_commit=False) as session:
            accounts.create(session, ctx, box, settings, provider_type="aws", display_name=f"{slug} (bench)",
                            slug=slug, region=REGION, credentials=dict(CREDENTIALS), config=config)
    finally:
        engine.dispose()


def wait_idle(pid: int, quiet_s: float = 3.0, timeout: float = 900.0) -> float:
    """Wait until the process has used under 0.1 s of CPU over ``quiet_s`` (moto finishing the
    responses of requests whose clients gave up); return the seconds waited."""
    t0 = time.monotonic()
    last = common.cpu_seconds(pid)
    while last is not None and time.monotonic() - t0 < timeout:
        time.sleep(quiet_s)
        now = common.cpu_seconds(pid)
        if now is None or now - last < 0.1:
            break
        last = now
    return time.monotonic() - t0


TIME_FIELDS = {
    "Maximum resident set size (kbytes)": "max_rss_kib",
    "User time (seconds)": "user_s",
    "System time (seconds)": "sys_s",
    "Percent of CPU this job got": "cpu_percent",
    "Elapsed (wall clock) time (h:mm:ss or m:ss)": "elapsed",
}


def _parse_time_v(text: str) -> dict:
    out: dict = {}
    for line in text.splitlines():
        line = line.strip()
        for label, key in TIME_FIELDS.items():
            if line.startswith(label + ":"):
                value = line.split(": ", 1)[1].strip()
                if key == "elapsed":
                    parts = [float(x) for x in value.split(":")]
                    out["time_wall_s"] = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
                elif key == "cpu_percent":
                    out[key] = float(value.rstrip("%") or 0)
                elif key == "max_rss_kib":
                    out[key] = int(value)
                else:
                    out[key] = float(value)
    return out


def run_cli(env: dict[str, str], args: list[str], moto_pid: int | None, timeout: float, tmpdir: Path) -> dict:
    """One ``cloudfold`` run, timed; peak RSS from /usr/bin/time -v, else by polling /proc."""
    gnu_time = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None
    time_out = tmpdir / "time.txt"
    cmd = [*common.cloudfold_cmd(), *args]
    if gnu_time:
        cmd = [gnu_time, "-v", "-o", str(time_out), *cmd]
    moto0 = common.cpu_seconds(moto_pid) if moto_pid else None
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    hwm = 0
    try:
        if gnu_time:
            stdout, stderr = proc.communicate(timeout=timeout)
        else:  # poll the child's VmHWM (it only rises) until it exits
            deadline = time.monotonic() + timeout
            while proc.poll() is None:
                if time.monotonic() > deadline:
                    raise subprocess.TimeoutExpired(cmd, timeout)
                hwm = max(hwm, common.memory(proc.pid)["hwm_kib"] or 0)
                time.sleep(0.05)
            stdout, stderr = proc.communicate()
    except BaseException:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=10)
        raise
    wall = time.perf_counter() - t0
    moto1 = common.cpu_seconds(moto_pid) if moto_pid else None
    out = {"cmd": " ".join(["cloudfold", *args]), "rc": proc.returncode, "wall_s": wall,
           "moto_cpu_s": (moto1 - moto0) if moto0 is not None and moto1 is not None else None}
    if gnu_time:
        out.update(_parse_time_v(time_out.read_text(errors="replace")))
        out["rss_source"] = "/usr/bin/time -v"
    else:
        out.update({"max_rss_kib": hwm or None, "rss_source": "polled /proc VmHWM"})
    match = re.search(r"done: (\{.*\})", stdout)
    out["result"] = ast.literal_eval(match.group(1)) if match else None
    out["stdout_tail"] = "\n".join(stdout.strip().splitlines()[-3:])
    out["stderr_tail"] = "\n".join(stderr.strip().splitlines()[-5:])
    return out


def db_counts(db_path: Path) -> dict:
    with sqlite3.connect(str(db_path)) as conn:
        by_kind = dict(conn.execute(
            "SELECT r.kind, count(*) FROM resources r JOIN accounts a ON a.id = r.account_id "
            "WHERE a.slug = ? AND r.vanished = 0 GROUP BY r.kind", (SLUG,)).fetchall())
        statuses = dict(conn.execute(
            "SELECT r.status, count(*) FROM resources r JOIN accounts a ON a.id = r.account_id "
            "WHERE a.slug = ? AND r.kind = 'vm' AND r.vanished = 0 GROUP BY r.status", (SLUG,)).fetchall())
    return {"by_kind": by_kind, "vm_statuses": statuses, "db_mib": db_path.stat().st_size / 2**20}


# -------------------------------------------------------------------- main

def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--instances", type=int, default=10_000, help="EC2 instances to create in moto (default 10,000)")
    p.add_argument("--floor-runs", type=int, default=3, help="runs of the describe_instances floor (default 3)")
    p.add_argument("--read-timeout", type=float, default=None,
                   help="add read_timeout (seconds) to the account's config. moto answers describe_instances "
                        "with every instance in one response (it pages by reservation), which takes far longer "
                        "than the driver's default 15 s at 10,000 instances; when given, a sync with the "
                        "default is tried first and its outcome reported")
    p.add_argument("--timeout", type=float, default=1800, help="time bound of one sync, seconds (default 1800)")
    p.add_argument("--json", action="store_true", help="print one JSON document instead of the tables")
    args = p.parse_args(argv)
    if args.instances < 1 or args.floor_runs < 1:
        p.error("--instances and --floor-runs must be >= 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    log = (lambda *a: None) if args.json else (lambda *a: print(*a, file=sys.stderr, flush=True))
    common.on_signals_unwind()
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        os.environ.pop(var, None)  # boto3 in this process: straight to 127.0.0.1
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = "*"

    started = time.time()
    load_before = loadavg()
    with tempfile.TemporaryDirectory(prefix="cloudfold-bench-") as tmp:
        tmpdir = Path(tmp)
        moto_log = tmpdir / "moto.log"
        moto, url = start_moto(moto_log)
        try:
            log(f"moto pid {moto.pid} on {url}; creating {args.instances:,} instances")
            created = create_instances(url, args.instances, log)
            log(f"created in {created['seconds']:.1f} s; moto RSS {common.mib(common.memory(moto.pid)['rss_kib'])}")

            floors = []
            for n in range(args.floor_runs):
                floors.append(floor_instances(url, moto.pid))
                log(f"floor {n + 1}/{args.floor_runs}: {floors[-1]['instances']:,} instances in "
                    f"{floors[-1]['pages']} pages, {floors[-1]['seconds']:.2f} s")
                if floors[-1]["instances"] != created["instances"]:
                    raise RuntimeError(f"describe_instances saw {floors[-1]['instances']} of {created['instances']}")
            floor = sorted(floors, key=lambda f: f["seconds"])[len(floors) // 2]
            other = floor_other_calls(url, moto.pid)
            log(f"other listing calls: {other['counts']} in {other['seconds']:.2f} s")
            alone = driver_alone(url, moto.pid, args.read_timeout)
            log(f"driver alone: {alone['by_kind']} in {alone['pages']} pages, {alone['seconds']:.2f} s")

            data_dir = tmpdir / "data"
            env = common.server_env(data_dir, common.DEFAULT_RATE_LIMIT, CLOUDFOLD_AUTO_REGISTER_LOCAL="false")
            common.cli(env, "migrate")
            default_try = None
            if args.read_timeout:  # an account with only endpoint_url and regions: the driver's 15 s read timeout
                register_account(env, account_config(url, None), slug=SLUG + "-default-timeout")
                log("sync of an account with the driver's default read timeout")
                default_try = run_cli(env, ["sync", SLUG + "-default-timeout"], moto.pid, args.timeout, tmpdir)
                default_try["label"] = "sync with the default read_timeout (15 s)"
                default_try["moto_busy_after_s"] = wait_idle(moto.pid)
                log(f"  rc {default_try['rc']} in {default_try['wall_s']:.1f} s (moto busy "
                    f"{default_try['moto_busy_after_s']:.0f} s more): {default_try['stderr_tail'][-300:]}")
            register_account(env, account_config(url, args.read_timeout))
            baseline = run_cli(env, ["sync", "no-such-account"], None, 300, tmpdir)
            log(f"CLI fixed cost (sync of an unknown account, rc {baseline['rc']}): {baseline['wall_s']:.2f} s")
            syncs = []
            for label in ("first sync (creates every record)", "second sync (nothing changed)"):
                log(f"{label}: cloudfold sync {SLUG}")
                run = run_cli(env, ["sync", SLUG], moto.pid, args.timeout, tmpdir)
                run["label"] = label
                if run["rc"] != 0 or run["result"] is None:
                    raise RuntimeError(f"cloudfold sync failed ({run['rc']}):\n{run['stdout_tail']}\n{run['stderr_tail']}")
                log(f"  {run['result']} in {run['wall_s']:.2f} s, peak RSS {common.mib(run.get('max_rss_kib'))}")
                syncs.append(run)
            counts = db_counts(data_dir / "cloudfold.db")
            moto_mem = common.memory(moto.pid)
        finally:
            common.stop_server(moto)
    load_after = loadavg()

    vm_ok = counts["by_kind"].get("vm") == created["instances"]
    doc = {"date": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)), "machine": machine(),
           "config": {"instances": args.instances, "per_call": PER_CALL, "instance_types": INSTANCE_TYPES,
                      "account_config": account_config("<moto>", args.read_timeout),
                      "floor_runs": args.floor_runs, "region": REGION, "moto": _version("moto"),
                      "boto3": _version("boto3")},
           "created": created, "floor": floor, "floors": floors, "other_calls": other, "driver_alone": alone,
           "cli_fixed": baseline, "default_timeout_try": default_try, "syncs": syncs, "db": counts, "vm_count_ok": vm_ok, "moto_memory_kib": moto_mem,
           "loadavg_before": load_before, "loadavg_after": load_after}

    if args.json:
        print(json.dumps(doc, indent=2, default=str))
        return 0 if vm_ok else 1
    m = doc["machine"]
    print(common.machine_line(m) + f"; moto {doc['config']['moto']}, boto3 {doc['config']['boto3']}")
    print(f"{created['instances']:,} instances ({created['stopped']:,} stopped) created in {created['seconds']:.1f} s; "
          f"account config {doc['config']['account_config']}")
    print(f"load average before {load_before}, after {load_after} (other work on the machine skews results)\n")
    n = created["instances"]
    rows = [
        ["boto3 describe_instances, MaxResults 1000 (the floor)", f"{floor['seconds']:.2f}",
         f"{n / floor['seconds']:,.0f} vm", "1.00", _cpu(floor)],
        ["boto3, the driver's other listing calls", f"{other['seconds']:.2f}",
         f"{sum(other['counts'].values()):,} objects", f"{other['seconds'] / floor['seconds']:.2f}", _cpu(other)],
        ["AwsDriver.pages() in-process, no DB", f"{alone['seconds']:.2f}",
         f"{sum(alone['by_kind'].values()) / alone['seconds']:,.0f} rec", f"{alone['seconds'] / floor['seconds']:.2f}",
         _cpu(alone)],
    ]
    for run in syncs:
        seen = run["result"]["seen"]
        rows.append([f"`cloudfold sync`, {run['label']}", f"{run['wall_s']:.2f}",
                     f"{seen / run['wall_s']:,.0f} rec, {n / run['wall_s']:,.0f} vm",
                     f"{run['wall_s'] / floor['seconds']:.2f}", _cpu(run)])
    print(common.markdown_table(["what", "wall s", "per second", "wall / floor", "CPU s: client; moto"], rows))
    runs = ", ".join(f"{f['seconds']:.2f} s" for f in floors)
    print(f"\nfloor runs: {runs} ({floor['pages']} pages each); driver alone saw {alone['by_kind']}")
    print("\n`cloudfold` CLI processes:")
    print(common.markdown_table(
        ["run", "result", "wall s", "user s", "sys s", "peak RSS"],
        [[r.get("label", r["cmd"]), str(r["result"] or f"rc {r['rc']}"), f"{r['wall_s']:.2f}",
          f"{r.get('user_s', float('nan')):.2f}", f"{r.get('sys_s', float('nan')):.2f}", common.mib(r.get("max_rss_kib"))]
         for r in [baseline, *syncs]]))
    if default_try is not None:
        print(f"\n{default_try['label']}, account {SLUG}-default-timeout: rc {default_try['rc']} after "
              f"{default_try['wall_s']:.1f} s (moto then busy {default_try['moto_busy_after_s']:.0f} s more "
              f"with the abandoned requests): {default_try['stderr_tail'] or default_try['result']}")
    print(f"\ndatabase after: {counts['by_kind']} live records of {SLUG}; vm statuses {counts['vm_statuses']}; "
          f"SQLite file {counts['db_mib']:.0f} MiB; moto RSS at the end {common.mib(moto_mem['rss_kib'])}")
    print(f"sanity: {'OK' if vm_ok else 'FAILED'}: {counts['by_kind'].get('vm', 0):,} vm records "
          f"for {created['instances']:,} instances")
    return 0 if vm_ok else 1


def _cpu(r: dict) -> str:
    client = r.get("client_cpu_s")
    if client is None and "user_s" in r:
        client = r["user_s"] + r["sys_s"]
    moto = r.get("moto_cpu_s")
    return f"{client:.1f}; {moto:.1f}" if client is not None and moto is not None else "?"


def _version(dist: str) -> str | None:
    try:
        from importlib.metadata import version

        return version(dist)
    except Exception:  # noqa: BLE001
        return None


if __name__ == "__main__":
    sys.exit(main())
