"""The HAProxy process cloudfold supervises (cloudfold.proxy.Haproxy), on the real binary: it
reads alive through its reloads and right after its start (else the supervisor, which starts a
proxy it finds dead, would start a second master beside the live one), a dead one reads dead at
once and is started again on the same ports, and one started before cloudfold kept its own
record of the master is taken on, not doubled."""

from __future__ import annotations

import os
import signal
import threading
import time

from lb_support import fetch, free_block

from cloudfold.proxy import Balancer, Haproxy, Health, render

BINARY = "/usr/sbin/haproxy"


def config(proxy: Haproxy, port: int, algorithm: str = "round_robin") -> str:
    return render([Balancer("b1", port, algorithm, Health())], [], bind="127.0.0.1", gateway_port=0,
                  paths=proxy.paths)


def answers(port: int) -> int:
    return fetch(f"http://127.0.0.1:{port}/")[0]  # 503: no servers, but the proxy's own answer


def test_the_proxy_reads_alive_through_its_reloads(tmp_path):
    proxy, port = Haproxy(tmp_path, BINARY), free_block()
    assert proxy.apply(config(proxy, port), start=True) == "started"
    master, dead_reads, reads, done = proxy.pid(), [], [0], threading.Event()

    def watch():
        while not done.is_set():
            reads[0] += 1
            if not proxy.running():
                dead_reads.append(time.monotonic())

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        for n in range(30):
            assert proxy.apply(config(proxy, port, ("least_conn", "round_robin")[n % 2]), start=True) == "reloaded"
    finally:
        done.set()
        watcher.join()
        proxy.stop()
    assert reads[0] > 100 and dead_reads == []
    assert master is not None


def test_a_proxy_just_started_reads_alive_at_once(tmp_path):
    port = free_block()
    for n in range(15):
        proxy = Haproxy(tmp_path / str(n), BINARY)
        try:
            assert proxy.apply(config(proxy, port), start=True) == "started"
            assert proxy.running(), f"start {n}: the supervisor's next look would start a second master"
        finally:
            proxy.stop()


def test_a_dead_proxy_reads_dead_at_once_and_starts_again_on_its_ports(tmp_path):
    proxy, port = Haproxy(tmp_path, BINARY), free_block()
    proxy.apply(config(proxy, port), start=True)
    os.killpg(proxy.pid(), signal.SIGKILL)
    deadline = time.monotonic() + 5
    while proxy.running():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    started = time.monotonic()
    assert not proxy.running() and time.monotonic() - started < 0.5  # no patience for the dead
    try:
        assert proxy.apply(config(proxy, port), start=True) == "started"
        assert answers(port) == 503  # its own answer: no targets
    finally:
        proxy.stop()


def test_a_proxy_started_before_the_record_is_taken_on_not_doubled(tmp_path):
    proxy, port = Haproxy(tmp_path, BINARY), free_block()
    proxy.apply(config(proxy, port), start=True)
    master = proxy.pid()
    proxy.master_file.unlink()  # as an earlier cloudfold left it: HAProxy's -p file only
    try:
        assert proxy.apply(config(proxy, port, "least_conn"), start=True) == "reloaded"
        assert proxy.pid() == master and int(proxy.master_file.read_text()) == master
        assert answers(port) == 503
    finally:
        proxy.stop()
    assert not proxy.running()
