#!/usr/bin/env python
"""Autoscaling benchmark (issue 13): how long a group takes to replace an instance killed on the
engine, p50 over ``--kills`` kills, with the scheduled reconcile job at its default interval
(``autoscaling_interval_seconds``, 15 s), against the engine's own create + start of the same
container (the floor: what a replacement cannot beat).

    python bench/bench_autoscaling.py [--kills 10] [--json]

What it does: starts the stack of bench/localcloud_stack.py (private Podman service, images,
``cloudfold serve`` with its default autoscaling interval), makes a group of two busybox
instances (min = max = desired = 2) and waits until both run; then ``--kills`` times: sleeps a
random 0..interval seconds (so the kill falls anywhere in the reconcile period, not always just
after a round), kills one member's container (``podman kill`` through the docker client) and
polls ``GET /autoscaling/groups/{id}`` every 0.1 s until two members run and the killed one is
not among them. From the group's activities it splits each replacement into the wait for the
next reconcile round (kill → the `terminate` activity starting), the terminate and the launch.
The floor is ``containers.create`` + ``start`` of the same image and command with the docker
SDK, 10 times. Everything it made is removed at the end.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from datetime import datetime

import common
import localcloud_stack
from common import loadavg, machine
from localcloud_stack import BUSYBOX, LABEL, until

INTERVAL_S = 15  # Settings.autoscaling_interval_seconds's default (the server runs with it)


def seconds(a: str, b: str) -> float:
    return (datetime.fromisoformat(b) - datetime.fromisoformat(a)
            ).total_seconds()


def stats(values: list[float]) -> dict:
    ordered = sorted(values)
    return {"n": len(values), "p50": statistics.median(ordered), "min": ordered[0], "max": ordered[-1],
            "mean": statistics.fmean(ordered)}


def run(kills: int, log) -> dict:
    from cloudfold.settings import Settings

    assert Settings.model_fields["autoscaling_interval_seconds"].default == INTERVAL_S
    with localcloud_stack.stack(log) as s:
        command = ["sleep", "3600"]
        floor = []
        for i in range(10):
            start = time.perf_counter()
            c = s.engine.containers.create(BUSYBOX, command, name=f"floor-{i}", labels={LABEL: "1"})
            c.start()
            floor.append(time.perf_counter() - start)
            c.remove(force=True)
        group = s.api("POST", "/autoscaling/groups", {"name": "bench", "min_size": 2, "max_size": 2,
                                                      "desired_capacity": 2,
                                                      "launch_template": {"image": BUSYBOX, "command": command}})

        def running() -> set[str]:
            return {i["id"] for i in s.api("GET", f"/autoscaling/groups/{group['id']}")["instances"]
                    if i["status"] == "running"}

        until(lambda: len(running()) == 2, 120, 0.5)
        total, waits, terminates, launches = [], [], [], []
        for n in range(kills):
            time.sleep(random.uniform(0, INTERVAL_S))
            victim = min(running())
            container = s.container(victim)
            killed_at = datetime.now().astimezone()
            start = time.perf_counter()
            container.kill()
            until(lambda v=victim: (now := running()) and len(now) == 2 and v not in now, 120, 0.1)
            total.append(time.perf_counter() - start)
            acts = s.api("GET", f"/autoscaling/groups/{group['id']}/activities")
            [term] = [a for a in acts if a["action"] == "terminate" and a["instance_id"] == victim]
            launch = min((a for a in acts if a["action"] == "launch" and a["started_at"] >= term["started_at"]),
                         key=lambda a: a["started_at"])
            waits.append(seconds(killed_at.isoformat(), term["started_at"]))
            terminates.append(seconds(term["started_at"], term["ended_at"]))
            launches.append(seconds(launch["started_at"], launch["ended_at"]))
            log(f"  kill {n + 1}: replaced in {total[-1]:.2f} s (waiting for the round {waits[-1]:.2f} s, "
                f"terminate {terminates[-1]:.2f} s, launch {launches[-1]:.2f} s)")
        s.api("DELETE", f"/autoscaling/groups/{group['id']}")
        return {"replace_s": stats(total), "wait_for_round_s": stats(waits), "terminate_s": stats(terminates),
                "launch_s": stats(launches), "floor_create_start_s": stats(floor), "interval_s": INTERVAL_S}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--kills", type=int, default=10, help="instances killed, one after another (default 10)")
    p.add_argument("--json", action="store_true", help="print one JSON document instead of the table")
    args, log, before = common.begin(p, argv)
    result = run(args.kills, log)
    doc = {"machine": machine(), "kills": args.kills, "load_before": before, "load_after": loadavg(), **result}
    if args.json:
        print(json.dumps(doc, indent=2))
        return 0
    rows = [[name, f"{r['p50']:.2f}", f"{r['min']:.2f}", f"{r['max']:.2f}", f"{r['mean']:.2f}"]
            for name, r in (("kill → replacement running (API)", result["replace_s"]),
                            ("  of which: waiting for the next reconcile round", result["wait_for_round_s"]),
                            ("  of which: terminate (engine remove, records)", result["terminate_s"]),
                            ("  of which: launch (instance core, engine create+start)", result["launch_s"]),
                            ("floor: docker SDK create + start", result["floor_create_start_s"]))]
    print(common.machine_line(doc["machine"]))
    print(f"{args.kills} kills, reconcile every {INTERVAL_S} s; load average before {before}, after {doc['load_after']}")
    print(common.markdown_table(["step", "p50 s", "min s", "max s", "mean s"], rows))
    print(f"replacement p50 / floor p50: {result['replace_s']['p50'] / result['floor_create_start_s']['p50']:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
