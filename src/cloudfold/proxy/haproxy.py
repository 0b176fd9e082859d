"""The HAProxy process: started in master-worker mode (`-W -S <master socket>`, daemonised,
its master's pid in a pid file in the data directory), given a new configuration by writing
the file atomically and sending `reload` to the master CLI (the new worker takes the
listening sockets over; old workers finish their connections), and read through its stats
socket (`show stat`, `show servers state`). Several cloudfold processes may share one data
directory: every change is made under a file lock."""

from __future__ import annotations

import csv
import fcntl
import io
import logging
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tenacity import retry, retry_if_exception_type, stop_after_delay, wait_fixed

from cloudfold.proxy.config import Paths

log = logging.getLogger(__name__)
_THREAD_LOCK = threading.Lock()
_TRANSIENT = object()  # the pid file or the master's /proc entry is being rewritten


class ProxyError(RuntimeError):
    """HAProxy could not be started, refused a configuration, or its socket did not answer."""


class Haproxy:
    def __init__(self, directory: Path, binary: str) -> None:
        self.dir = Path(directory)
        self.binary = binary
        self.config = self.dir / "haproxy.cfg"
        self.pid_file = self.dir / "haproxy.pid"  # HAProxy's own (-p): rewritten on every reload
        self.master_file = self.dir / "master.pid"  # cloudfold's record of the master's pid
        self.master_socket = self.dir / "master.sock"
        self.paths = Paths(stats_socket=self.dir / "stats.sock", state_file=self.dir / "server-state")

    # --- the process -------------------------------------------------------------------------

    def pid(self, patience: float = 2.0) -> int | None:
        """The master's pid when it is alive (and is this directory's haproxy), else None.

        Read from cloudfold's own record (`master.pid`, written once the master is up; the
        master keeps its pid across reloads), not HAProxy's `-p` file: HAProxy rewrites that on
        every reload, and it is missing or empty for a moment. The master's /proc cmdline is
        empty while it re-executes itself; that moment is waited out (up to ``patience``
        seconds). Taking either moment for a death made the supervisor start a second master
        beside the live one."""
        deadline = time.monotonic() + patience
        while True:
            found = self._read_pid()
            if found is not _TRANSIENT or time.monotonic() > deadline:
                return found if isinstance(found, int) else None
            time.sleep(0.01)

    def _read_pid(self) -> int | None | object:
        try:
            pid = int(self.master_file.read_text())
        except FileNotFoundError:
            return self._adopt()
        except (OSError, ValueError):
            return None  # not cloudfold's writing (it writes whole files, atomically)
        return self._alive(pid)

    def _adopt(self) -> int | None:
        """The live master HAProxy's -p file names, recorded as cloudfold's: after a start, and
        for a proxy started before cloudfold kept its own record (taken on as it is, so that it
        is reloaded, not doubled). Nothing there: None."""
        try:
            found = self._alive(int(self.pid_file.read_text().split()[0]))
        except (OSError, ValueError, IndexError):
            return None
        if not isinstance(found, int):
            return None
        self._record(found)
        return found

    def _record(self, pid: int) -> None:
        record = self.master_file.with_suffix(".new")
        record.write_text(str(pid))
        os.replace(record, self.master_file)

    def _alive(self, pid: int) -> int | None | object:
        try:
            if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X"):
                return None  # dead, not yet reaped
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (OSError, IndexError):
            return None
        if not cmdline:
            return _TRANSIENT  # in the middle of exec(): a reload
        return pid if b"haproxy" in cmdline and str(self.config).encode() in cmdline else None

    def running(self) -> bool:
        return self.pid() is not None

    def _start(self) -> None:
        for stale in (self.master_socket, self.paths.stats_socket, self.pid_file, self.master_file):
            stale.unlink(missing_ok=True)
        result = self._run("-W", "-D", "-S", f"{self.master_socket},mode,600", "-f", str(self.config),
                           "-p", str(self.pid_file))
        if result.returncode != 0:
            raise ProxyError(f"haproxy did not start: {result.stderr.strip()[-500:]}")
        self._wait_for(self.paths.stats_socket)
        deadline = time.monotonic() + 10
        while (pid := self._adopt()) is None:  # HAProxy's -p file, written a moment later
            if time.monotonic() > deadline:
                raise ProxyError("haproxy started but did not write its pid file")
            time.sleep(0.01)
        log.info("haproxy started (pid %s)", pid)

    def stop(self) -> None:
        """End the master and its workers (its process group: the master leads one since it
        daemonised). For tests and tooling; a restart of cloudfold leaves the proxy serving."""
        pid = self.pid()
        if pid is None:
            return
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(pid, sig)
            except ProcessLookupError:
                return
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and self.running():
                time.sleep(0.05)
            if not self.running():
                return

    @staticmethod
    def _wait_for(path: Path, seconds: float = 10.0) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                with socket.socket(socket.AF_UNIX) as s:
                    s.connect(str(path))
                return
            except OSError:
                time.sleep(0.02)
        raise ProxyError(f"haproxy's socket {path.name} did not answer")

    # --- configuration -----------------------------------------------------------------------

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        with _THREAD_LOCK, open(self.dir / "lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        try:
            return subprocess.run([self.binary, *args], capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.SubprocessError) as exc:
            raise ProxyError(f"could not run {self.binary} ({type(exc).__name__})") from None

    def _check(self, path: Path) -> None:
        result = self._run("-c", "-q", "-f", str(path))
        if result.returncode != 0:
            raise ProxyError(f"haproxy refused the configuration: {result.stderr.strip()[-500:]}")

    def apply(self, text: str, *, start: bool) -> str:
        """Make ``text`` the running configuration. Nothing is done when it is the running one
        already; otherwise it is checked (`haproxy -c`), written atomically, and the running
        master reloads it; a dead proxy is started when ``start`` (there is something to
        serve). Answers what was done: idle, unchanged, reloaded, started."""
        with self._locked():
            alive = self.running()
            if not alive and not start:
                return "idle"  # nothing to serve and nothing running: nothing to write or check
            current = self.config.read_text() if self.config.exists() else None
            if current == text and alive:
                return "unchanged"
            if current != text:
                candidate = self.config.with_suffix(".new")
                candidate.write_text(text)
                self._check(candidate)
                os.replace(candidate, self.config)
            if alive:
                self._save_state()
                self._reload()
                return "reloaded"
            self._start()
            return "started"

    def _save_state(self) -> None:
        """Keep the servers' health across a reload (`load-server-state-from-file`)."""
        try:
            state = self.command("show servers state")
        except ProxyError:
            return
        tmp = self.paths.state_file.with_suffix(".new")
        tmp.write_text(state)
        os.replace(tmp, self.paths.state_file)

    # --- sockets -----------------------------------------------------------------------------

    @staticmethod
    def _ask(path: Path, command: str, timeout: float = 5.0) -> str:
        try:
            with socket.socket(socket.AF_UNIX) as s:
                s.settimeout(timeout)
                s.connect(str(path))
                s.sendall(command.encode() + b"\n")
                s.shutdown(socket.SHUT_WR)  # the master CLI answers and closes only then
                chunks = []
                while chunk := s.recv(65536):
                    chunks.append(chunk)
        except OSError as exc:
            raise ProxyError(f"haproxy's socket {path.name} did not answer ({type(exc).__name__})") from None
        return b"".join(chunks).decode(errors="replace")

    @retry(retry=retry_if_exception_type(ProxyError), stop=stop_after_delay(3), wait=wait_fixed(0.05), reraise=True)
    def _master(self, command: str) -> str:
        """A master CLI command; retried for a moment, as the master's socket is away while it
        re-executes itself for a reload (another process's, or the one just asked for)."""
        return self._ask(self.master_socket, command)

    def workers(self) -> set[str]:
        """The pids of the current workers (`show proc` on the master CLI; old ones not counted)."""
        pids, section = set(), None
        for line in self._master("show proc").splitlines():
            if line.startswith("#"):
                section = line.strip("# ").strip()
                continue
            fields = line.split()
            if section == "workers" and len(fields) > 1 and fields[1] == "worker":
                pids.add(fields[0])
        return pids

    def _reload(self, seconds: float = 15.0) -> None:
        """`reload` on the master CLI, then wait for a new worker: the master re-executes itself
        (its socket is away meanwhile) and forks a worker on the new configuration, which takes
        the listening sockets over; the old workers finish their connections and exit."""
        before = self.workers()
        self._master("reload")
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                now = self.workers()
            except ProxyError:
                now = set()
            if now and now != before:
                self._wait_for(self.paths.stats_socket)
                return
            time.sleep(0.02)
        raise ProxyError("haproxy did not start a worker on the new configuration")

    def command(self, command: str) -> str:
        return self._ask(self.paths.stats_socket, command)

    def stats(self) -> list[dict[str, str]]:
        """`show stat` as rows (pxname, svname, status, check_status, …)."""
        text = self.command("show stat").lstrip("# ")
        return list(csv.DictReader(io.StringIO(text)))
