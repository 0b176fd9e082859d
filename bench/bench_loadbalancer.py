#!/usr/bin/env python
"""Load balancer benchmark (issue 13): ``wrk`` requests/s and p99 through a cloudfold load
balancer (HAProxy) over 3 busybox httpd instances, against the same load sent straight to one of
those instances (the floor), and the throughput per upstream core used.

    python bench/bench_loadbalancer.py [--duration 10] [--threads 2] [--connections 16] [--json]

What it does: starts the stack of bench/localcloud_stack.py (private Podman service, images,
``cloudfold serve``), launches three instances running busybox httpd (``POST /instances``, each
publishing 8080 on a host port), makes a load balancer (round robin, health check of /who every
5 s) with the three as targets and waits until all are healthy; then, after a 2 s warm-up of
each, runs wrk for ``--duration`` s against ``http://127.0.0.1:<host port>/who`` of the first
instance (the floor) and against the balancer's address, and reads the CPU time used over the
run: each instance's container from its cgroup (`cpuacct.usage`; busybox httpd forks a child per
connection and never waits for it, so the children's time shows in no process's /proc figures:
the main httpd process alone is printed too), HAProxy's master and workers and wrk (this
process's children) from /proc. ``podman stats`` on this engine shows 0 s, hence the cgroup.

Per upstream core used = requests/s ÷ (upstream CPU seconds ÷ wall seconds). The issue's goal
is the balancer's figure ≥ 0.8 × the floor's; it is given once counting only the httpd
processes (the upstreams) and once counting HAProxy's cores as upstream cores too.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import common
import localcloud_stack
from common import loadavg, machine
from localcloud_stack import BUSYBOX, SERVE, until


def proc_cpu(pid: int) -> float:
    """utime + stime + cutime + cstime (the children it waited for) of ``pid``, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(fields[i]) for i in (11, 12, 13, 14))
    return ticks / os.sysconf("SC_CLK_TCK")


def container_cpu(pid: int) -> float:
    """CPU seconds of everything in the container ``pid`` runs in (its cgroup v1 `cpuacct.usage`,
    or v2 `cpu.stat` usage_usec): busybox httpd forks a child per connection and does not wait
    for them, so their time is in no process's /proc figures. /proc as a fallback."""
    for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if path != "/" and "cpuacct" in controllers.split(","):
            return int(Path(f"/sys/fs/cgroup/cpuacct{path}/cpuacct.usage").read_text()) / 1e9
        if path != "/" and controllers == "" and Path(f"/sys/fs/cgroup{path}/cpu.stat").exists():
            stat = dict(x.split() for x in Path(f"/sys/fs/cgroup{path}/cpu.stat").read_text().splitlines())
            return int(stat["usage_usec"]) / 1e6
    return proc_cpu(pid)


def haproxy_pids(data_dir: Path) -> list[int]:
    """The master (its pid file) and its current workers (`show proc` on its CLI)."""
    master = int((data_dir / "proxy" / "haproxy.pid").read_text().split()[0])
    return [master, *(int(pid) for pid in proxy(data_dir).workers())]


def proxy(data_dir: Path):
    from cloudfold.proxy import Haproxy

    return Haproxy(data_dir / "proxy", "/usr/sbin/haproxy")


def backend_figures(data_dir: Path, lb_id: str) -> dict[str, str]:
    """HAProxy's own view of the balancer's backend over the run (`show stat`): average queue,
    connect, response and total times of the last 1024 requests (ms), retries, redispatches,
    connection and response errors."""
    [row] = [r for r in proxy(data_dir).stats() if r["pxname"] == f"lb_{lb_id}" and r["svname"] == "BACKEND"]
    return {k: row.get(k, "") for k in ("qtime", "ctime", "rtime", "ttime", "wretr", "wredis", "econ", "eresp")}


def cpu_of(pids: list[int], read=proc_cpu) -> float:
    total = 0.0
    for pid in pids:
        try:
            total += read(pid)
        except OSError:
            pass
    return total


def wrk_children_cpu() -> float:
    t = os.times()
    return t.children_user + t.children_system


def measure(wrk: str, url: str, args, workdir: Path, upstream: list[int], proxy_pids: list[int]) -> dict:
    common.run_wrk(wrk, url, {}, 2, args.threads, args.connections, workdir)  # warm-up
    before = (cpu_of(upstream, container_cpu), cpu_of(proxy_pids), wrk_children_cpu(), cpu_of(upstream))
    out = common.run_wrk(wrk, url, {}, args.duration, args.threads, args.connections, workdir)
    after = (cpu_of(upstream, container_cpu), cpu_of(proxy_pids), wrk_children_cpu(), cpu_of(upstream))
    wall = out["duration_s"]
    rps = out["requests"] / wall
    upstream_cores = (after[0] - before[0]) / wall
    proxy_cores = (after[1] - before[1]) / wall
    return {**out, "rps": rps, "upstream_cores": upstream_cores, "proxy_cores": proxy_cores,
            "wrk_cores": (after[2] - before[2]) / wall,
            "upstream_main_process_cores": (after[3] - before[3]) / wall,
            "rps_per_upstream_core": rps / upstream_cores if upstream_cores else None,
            "rps_per_upstream_and_proxy_core": rps / (upstream_cores + proxy_cores) if upstream_cores else None}


def run(args, log) -> dict:
    wrk = common.find_wrk("wrk")
    if not wrk:
        raise SystemExit("needs wrk (apt-get install wrk)")
    with localcloud_stack.stack(log) as s:
        instances = [s.api("POST", "/instances", {"name": f"web-{i}", "image": BUSYBOX, "command": SERVE,
                                                  "ports": ["0:8080"]}) for i in range(3)]
        balancer = s.api("POST", "/loadbalancers", {"name": "bench", "health_check": {"path": "/who"}})
        for inst in instances:
            s.api("POST", f"/loadbalancers/{balancer['id']}/targets", {"instance_id": inst["id"], "port": 8080})
        until(lambda: [t["state"] for t in s.api("GET", f"/loadbalancers/{balancer['id']}")["targets"]]
              == ["healthy"] * 3, 60, 0.5)
        httpd = [s.container(i["id"]).attrs["State"]["Pid"] for i in instances]
        haproxy = haproxy_pids(s.data_dir)
        direct = f"http://127.0.0.1:{instances[0]['ports'][0].split(':')[0]}/who"
        log(f"floor {direct}; balancer {balancer['address']}; httpd pids {httpd}; haproxy pids {haproxy}")
        floor = measure(wrk, direct, args, s.data_dir, httpd[:1], [])
        through = measure(wrk, f"{balancer['address']}/who", args, s.data_dir, httpd, haproxy)
        through["haproxy_backend"] = backend_figures(s.data_dir, balancer["id"])
        spread = {common.http_get(f"{balancer['address']}/who")[1].strip() for _ in range(30)}
        return {"floor": floor, "balancer": through, "upstreams_answering": len(spread)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--duration", type=float, default=10.0, help="seconds of wrk per target (default 10)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--json", action="store_true", help="print one JSON document instead of the table")
    args, log, before = common.begin(p, argv)
    result = run(args, log)
    doc = {"machine": machine(), "load_before": before, "load_after": loadavg(), **vars(args), **result}
    if args.json:
        print(json.dumps(doc, indent=2))
        return 0
    f, b = result["floor"], result["balancer"]
    rows = []
    for name, r in (("one instance, direct (floor)", f), ("load balancer over 3", b)):
        rows.append([name, f"{r['rps']:,.0f}", f"{r['p50_ms']:.2f}", f"{r['p99_ms']:.2f}",
                     f"{r['upstream_cores']:.2f}", f"{r['proxy_cores']:.2f}", f"{r['wrk_cores']:.2f}",
                     f"{r['rps_per_upstream_core']:,.0f}", f"{r['rps_per_upstream_and_proxy_core']:,.0f}",
                     str(r["non_2xx"] + r["socket_errors"])])
    print(common.machine_line(doc["machine"]))
    print(f"wrk -t{args.threads} -c{args.connections} -d{args.duration:g}s; load average before {before}, "
          f"after {doc['load_after']}")
    print(common.markdown_table(["target", "req/s", "p50 ms", "p99 ms", "httpd cores", "haproxy cores",
                                 "wrk cores", "req/s per httpd core", "req/s per httpd+haproxy core",
                                 "errors"], rows))
    print(f"balancer / floor: req/s {b['rps'] / f['rps']:.2f}, p99 {b['p99_ms'] / f['p99_ms']:.2f}, "
          f"per upstream core {b['rps_per_upstream_core'] / f['rps_per_upstream_core']:.2f} "
          f"(counting haproxy's cores too: {b['rps_per_upstream_and_proxy_core'] / f['rps_per_upstream_core']:.2f}); "
          f"instances answering through the balancer: {result['upstreams_answering']}; httpd cores in the main "
          f"httpd process alone (/proc): floor {f['upstream_main_process_cores']:.2f}, "
          f"balancer {b['upstream_main_process_cores']:.2f}")
    print(f"HAProxy's backend figures (show stat): {b['haproxy_backend']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
