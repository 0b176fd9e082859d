"""Pieces shared by the benchmarks in bench/: a ``cloudfold serve`` process, load generation
(wrk, or an async httpx client in a subprocess), result tables, process memory and the machine.

Import from a benchmark script run as ``python bench/bench_X.py`` (its folder is on
``sys.path``)::

    import common
    from common import HOST, cli, server_env

Run as a script, this module is the httpx fallback load generator (a child process that
``run_httpx`` starts); it is not meant to be run by hand.

Only 127.0.0.1 is ever contacted. Every child process has a time bound.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

HOST = "127.0.0.1"
EMAIL = "bench@example.com"
PASSWORD = "bench-password-123456"
DEFAULT_RATE_LIMIT = "1000000/second"  # see bench_http.py's module doc for why per second


@dataclass
class Endpoint:
    name: str
    path: str
    auth: bool


@dataclass
class Result:
    name: str
    path: str
    auth: bool
    tool: str
    duration_s: float
    requests: int
    rps: float
    p50_ms: float
    p75_ms: float
    p90_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float
    non_2xx: int
    socket_errors: int
    rps_ratio: float | None = None  # rps / floor rps
    p50_ratio: float | None = None  # p50 / floor p50
    rounds: list[dict] = field(default_factory=list)


# --------------------------------------------------------------------------- wrk

WRK_LUA = r"""
wrk.method = "GET"
{headers}
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"status_errors":%d,"connect":%d,"read":%d,"write":%d,' ..
    '"timeout":%d,"p50_us":%.1f,"p75_us":%.1f,"p90_us":%.1f,"p99_us":%.1f,"mean_us":%.1f,"max_us":%.1f}\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(75), latency:percentile(90), latency:percentile(99),
    latency.mean, latency.max))
end
"""


def run_wrk(wrk: str, url: str, headers: dict[str, str], duration: float, threads: int, connections: int,
            workdir: Path, timeout_s: float = 5.0) -> dict:
    lines = "\n".join(f'wrk.headers["{k}"] = "{v}"' for k, v in headers.items())
    script = workdir / "bench.lua"
    script.write_text(WRK_LUA.replace("{headers}", lines))
    secs = max(1, int(round(duration)))
    cmd = [wrk, f"-t{threads}", f"-c{connections}", f"-d{secs}s", "--timeout", f"{timeout_s:g}s", "--latency",
           "-s", str(script), url]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=secs + 60)
    if proc.returncode != 0:
        raise RuntimeError(f"wrk failed ({proc.returncode}): {proc.stderr.strip() or proc.stdout.strip()}")
    match = re.search(r"^BENCH_JSON (\{.*\})$", proc.stdout, re.M)
    if not match:
        raise RuntimeError(f"wrk printed no summary:\n{proc.stdout}\n{proc.stderr}")
    raw = json.loads(match.group(1))
    us = 1e-3
    return {
        "tool": "wrk",
        "requests": raw["requests"],
        "duration_s": raw["duration_us"] / 1e6,
        "p50_ms": raw["p50_us"] * us, "p75_ms": raw["p75_us"] * us, "p90_ms": raw["p90_us"] * us,
        "p99_ms": raw["p99_us"] * us, "mean_ms": raw["mean_us"] * us, "max_ms": raw["max_us"] * us,
        "non_2xx": raw["status_errors"],
        "socket_errors": raw["connect"] + raw["read"] + raw["write"] + raw["timeout"],
    }


# ------------------------------------------------------------ httpx fallback

def run_httpx(url: str, headers: dict[str, str], duration: float, connections: int,
              timeout_s: float = 5.0) -> dict:
    """Run the httpx load generator in a separate process (this module run as a script)."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--_loadgen", url, "--duration", str(duration),
           "--connections", str(connections), "--_headers", json.dumps(headers), "--timeout", str(timeout_s)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60)
    if proc.returncode != 0:
        raise RuntimeError(f"httpx load generator failed: {proc.stderr.strip()}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return 0.0
    k = min(len(sorted_values) - 1, max(0, int(round(p / 100 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[k]


async def loadgen(url: str, headers: dict[str, str], duration: float, connections: int,
                  timeout_s: float = 5.0) -> dict:
    import httpx

    latencies: list[float] = []
    counts = {"non_2xx": 0, "socket_errors": 0}
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(limits=limits, headers=headers, timeout=timeout_s) as client:
        start = time.perf_counter()
        stop = start + duration

        async def worker() -> None:
            while time.perf_counter() < stop:
                t0 = time.perf_counter()
                try:
                    response = await client.get(url)
                except httpx.HTTPError:
                    counts["socket_errors"] += 1
                    continue
                latencies.append(time.perf_counter() - t0)
                if not 200 <= response.status_code < 400:
                    counts["non_2xx"] += 1

        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.perf_counter() - start
    latencies.sort()
    ms = 1e3
    return {
        "tool": "httpx",
        "requests": len(latencies),
        "duration_s": elapsed,
        "p50_ms": _percentile(latencies, 50) * ms, "p75_ms": _percentile(latencies, 75) * ms,
        "p90_ms": _percentile(latencies, 90) * ms, "p99_ms": _percentile(latencies, 99) * ms,
        "mean_ms": (statistics.fmean(latencies) * ms) if latencies else 0.0,
        "max_ms": (latencies[-1] * ms) if latencies else 0.0,
        **counts,
    }


# ------------------------------------------------------------------ server

def cloudfold_cmd() -> list[str]:
    beside = Path(sys.executable).with_name("cloudfold")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("cloudfold")
    if found:
        return [found]
    return [sys.executable, "-c", "from cloudfold.cli.main import app; app()"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def clean_env() -> dict[str, str]:
    """This process's environment without any CLOUDFOLD_* setting and without proxies."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLOUDFOLD_")}  # no stray config
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        env.pop(var, None)
    env.update({"NO_PROXY": "*", "no_proxy": "*"})
    return env


# The periodic work of a server pushed out to a day, for benchmarks of the request path: no
# sync, health check, sampling of the (made-up) accounts, alert evaluation or housekeeping runs
# in the server during a measurement; the bench measures requests, not the background jobs.
QUIET_BACKGROUND = {
    "CLOUDFOLD_SCHEDULE_TICK_SECONDS": "86400", "CLOUDFOLD_HOUSEKEEPING_INTERVAL_SECONDS": "86400",
    "CLOUDFOLD_METRICS_SAMPLE_SECONDS": "86400", "CLOUDFOLD_METRICS_PRUNE_INTERVAL_SECONDS": "86400",
    "CLOUDFOLD_ALERT_EVAL_SECONDS": "86400", "CLOUDFOLD_RECONCILE_INTERVAL_SECONDS": "86400",
}


def server_env(data_dir: Path, rate_limit: str, **extra: str) -> dict[str, str]:
    """Environment for cloudfold child processes: this data dir, raised rate limits, log WARNING.

    ``extra`` adds or overrides variables (e.g. ``CLOUDFOLD_SCHEDULE_TICK_SECONDS="86400"``)."""
    env = clean_env()
    env.update({
        "CLOUDFOLD_DATA_DIR": str(data_dir),
        "CLOUDFOLD_RATE_LIMIT_DEFAULT": rate_limit,
        "CLOUDFOLD_RATE_LIMIT_AUTH": rate_limit,
        "CLOUDFOLD_RATE_LIMIT_ACTIONS": rate_limit,
        "CLOUDFOLD_LOG_LEVEL": "WARNING",
        # no probes from benchmark servers: their inventories hold made-up addresses (moto, generated rows)
        "CLOUDFOLD_MONITOR_ENGINE": "false",
    })
    env.update(extra)
    return env


@contextlib.contextmanager
def cloudfold_environ(env: dict[str, str]) -> Iterator[None]:
    """Within the block, this process's CLOUDFOLD_* variables are those of ``env`` (for building a
    ``cloudfold.settings.Settings`` in-process that matches the child processes)."""
    saved = {k: v for k, v in os.environ.items() if k.startswith("CLOUDFOLD_")}
    for k in saved:
        del os.environ[k]
    os.environ.update({k: v for k, v in env.items() if k.startswith("CLOUDFOLD_")})
    try:
        yield
    finally:
        for k in [k for k in os.environ if k.startswith("CLOUDFOLD_")]:
            del os.environ[k]
        os.environ.update(saved)


def cli(env: dict[str, str], *args: str, timeout: float = 120) -> str:
    proc = subprocess.run([*cloudfold_cmd(), *args], env=env, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"cloudfold {' '.join(args[:2])} failed: {proc.stderr.strip() or proc.stdout.strip()}")
    return proc.stdout.strip()


def admin_key(env: dict[str, str]) -> str:
    """Create the admin user EMAIL and an API key for it with the CLI; return the key."""
    cli(env, "user", "create", EMAIL, "--password", PASSWORD, "--admin")
    api_key = cli(env, "apikey", "create", "--user", EMAIL, "--name", "bench").splitlines()[-1].strip()
    if not api_key.startswith("cfk_"):
        raise RuntimeError(f"unexpected apikey output: {api_key!r}")
    return api_key


def http_get(url: str, headers: dict[str, str] | None = None, timeout: float = 2.0) -> tuple[int, bytes]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never a proxy
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def start_server(env: dict[str, str], port: int, log_path: Path) -> subprocess.Popen:
    """``cloudfold serve`` on HOST:port in its own session (so its process group is its own)."""
    with open(log_path, "wb") as log_file:
        return subprocess.Popen([*cloudfold_cmd(), "serve", "--host", HOST, "--port", str(port)], env=env,
                                stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)


def wait_ready(proc: subprocess.Popen, base: str, timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{tail(log)}")
        try:
            status, _ = http_get(base + "/health/live", timeout=1.0)
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"server not live after {timeout:.0f} s:\n{tail(log)}")


def serve(env: dict[str, str], workdir: Path) -> tuple[subprocess.Popen, str, str]:
    """Migrate ``env``'s data dir, create the admin and an API key, start ``cloudfold serve`` on a
    free port (log in ``workdir/server.log``) and wait until it is live: (process, base URL, key)."""
    cli(env, "migrate")
    key = admin_key(env)
    port = free_port()
    base = f"http://{HOST}:{port}"
    server = start_server(env, port, workdir / "server.log")
    try:
        wait_ready(server, base, 60, workdir / "server.log")
    except BaseException:
        stop_server(server)
        raise
    return server, base, key


def stop_server(proc: subprocess.Popen) -> None:
    """SIGTERM to the process group the server leads, then SIGKILL."""
    if proc.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)  # the server runs in its own session: its group is its own
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no server log)"


def on_signals_unwind() -> None:
    """SIGTERM/SIGHUP raise SystemExit, so the callers' ``finally`` blocks stop their children."""
    def signalled(signum, _frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, signalled)
    signal.signal(signal.SIGHUP, signalled)


# ------------------------------------------------------------ process memory / CPU

def memory(pid: int) -> dict[str, int | None]:
    """Resident set size now and its peak (VmHWM) in KiB, from /proc/<pid>/status; psutil (no
    peak) where there is no /proc."""
    out: dict[str, int | None] = {"rss_kib": None, "hwm_kib": None}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                out["rss_kib"] = int(line.split()[1])
            elif line.startswith("VmHWM:"):
                out["hwm_kib"] = int(line.split()[1])
        return out
    except (OSError, ValueError):
        pass
    try:
        import psutil

        out["rss_kib"] = psutil.Process(pid).memory_info().rss // 1024
    except Exception:  # noqa: BLE001  (no psutil, or the process is gone)
        pass
    return out


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time the process has used so far (its own threads, not its children)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def mib(kib: int | None) -> str:
    return "?" if kib is None else f"{kib / 1024:,.0f} MiB"


# ------------------------------------------------------------------ report

def loadavg() -> list[float] | None:
    try:
        return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]
    except (OSError, ValueError):
        return None


def machine() -> dict:
    info = {"nproc": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                info["mem_total_gib"] = round(int(line.split()[1]) / 1024 / 1024, 1)
                break
    except OSError:
        pass
    try:
        import cloudfold

        info["cloudfold"] = cloudfold.__version__
        info["cloudfold_src"] = str(Path(cloudfold.__file__).resolve().parent)
    except ImportError:
        pass
    try:
        root = Path(info.get("cloudfold_src") or Path(__file__).resolve().parent.parent)
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        if head:
            info["git"] = head + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        pass
    return info


def begin(p: argparse.ArgumentParser, argv: list[str] | None) -> tuple[argparse.Namespace, Callable, list | None]:
    """Parse a benchmark's arguments (``--json`` among them), unwind on SIGTERM/SIGHUP: (args, a
    progress logger to stderr, silent with --json, the load average before the run)."""
    args = p.parse_args(argv)
    log = (lambda *a: None) if args.json else (lambda *a: print(*a, file=sys.stderr, flush=True))
    on_signals_unwind()
    return args, log, loadavg()


def machine_line(m: dict) -> str:
    return (f"cloudfold {m.get('cloudfold', '?')} ({m.get('git', '?')}), {m.get('cpu', '?')}, "
            f"{m['nproc']} CPU, Python {m['python']}")


def combine(ep: Endpoint, runs: list[dict]) -> Result:
    """One result per endpoint: the round with the median requests/s (all rounds kept)."""
    for r in runs:
        r["rps"] = r["requests"] / r["duration_s"] if r["duration_s"] else 0.0
    chosen = sorted(runs, key=lambda r: r["rps"])[len(runs) // 2]
    keys = ("tool", "duration_s", "requests", "rps", "p50_ms", "p75_ms", "p90_ms", "p99_ms", "mean_ms", "max_ms",
            "non_2xx", "socket_errors")
    return Result(name=ep.name, path=ep.path, auth=ep.auth, **{k: chosen[k] for k in keys},
                  rounds=runs if len(runs) > 1 else [])


def with_ratios(results: list[Result], floor_name: str) -> Result:
    """Fill every result's ratios to the floor; return the floor."""
    floor = next(r for r in results if r.name == floor_name)
    for r in results:
        r.rps_ratio = r.rps / floor.rps if floor.rps else None
        r.p50_ratio = r.p50_ms / floor.p50_ms if floor.p50_ms else None
    return floor


def markdown_table(head: list[str], rows: list[list[str]], left: int = 1) -> str:
    """A Markdown table padded to line up; the first ``left`` columns left-aligned, the rest right."""
    widths = [max(len(x) for x in col) for col in zip(head, *rows)]
    fmt = lambda cells: "| " + " | ".join(c.ljust(w) if i < left else c.rjust(w)  # noqa: E731
                                          for i, (c, w) in enumerate(zip(cells, widths))) + " |"
    sep = "|" + "|".join(("-" * (w + 2)) if i < left else ("-" * (w + 1) + ":") for i, w in enumerate(widths)) + "|"
    return "\n".join([fmt(head), sep, *(fmt(r) for r in rows)])


def table(results: list[Result]) -> str:
    head = ["endpoint", "auth", "req/s", "p50 ms", "p90 ms", "p99 ms", "rps / floor", "p50 / floor", "non-2xx", "errors"]
    rows = [[f"GET {r.path}", "X-API-Key" if r.auth else "-", f"{r.rps:,.0f}", f"{r.p50_ms:.2f}", f"{r.p90_ms:.2f}",
             f"{r.p99_ms:.2f}", f"{r.rps_ratio:.2f}", f"{r.p50_ratio:.2f}", str(r.non_2xx), str(r.socket_errors)]
            for r in results]
    return markdown_table(head, rows, left=2)


# ------------------------------------------------------------ load runs

def add_load_args(p: argparse.ArgumentParser, duration: float = 10.0, warmup: float = 2.0) -> None:
    """The load options every HTTP benchmark takes."""
    p.add_argument("--duration", type=float, default=duration, help=f"seconds measured per endpoint (default {duration:g})")
    p.add_argument("--warmup", type=float, default=warmup, help=f"seconds of warmup per endpoint (default {warmup:g})")
    p.add_argument("--connections", type=int, default=16, help="open connections (default 16)")
    p.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    p.add_argument("--rounds", type=int, default=1,
                   help="measure the endpoints this many times, interleaved; report the median round (default 1)")
    p.add_argument("--rate-limit", default=DEFAULT_RATE_LIMIT,
                   help=f"value for every CLOUDFOLD_RATE_LIMIT_* (default {DEFAULT_RATE_LIMIT}; see bench_http.py)")
    p.add_argument("--tool", choices=("auto", "wrk", "httpx"), default="auto",
                   help="load generator (default: wrk when installed, else httpx)")
    p.add_argument("--json", action="store_true", help="print one JSON document instead of the table")


def check_load_args(p: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.threads < 1 or args.connections < args.threads:
        p.error("need 1 <= --threads <= --connections")
    if args.duration <= 0 or args.rounds < 1:
        p.error("--duration must be > 0 and --rounds >= 1")


def find_wrk(tool: str) -> str | None:
    """wrk's path when it is to be used; SystemExit(2) when --tool wrk and it is missing."""
    wrk = shutil.which("wrk") if tool in ("auto", "wrk") else None
    if tool == "wrk" and not wrk:
        print("wrk not found", file=sys.stderr)
        raise SystemExit(2)
    return wrk


def make_loader(wrk: str | None, base: str, args: argparse.Namespace, workdir: Path,
                headers_for: Callable[[Endpoint], dict[str, str]], timeout_s: float = 5.0
                ) -> Callable[[Endpoint, float], dict]:
    def load(ep: Endpoint, seconds: float) -> dict:
        url = base + ep.path
        if wrk:
            return run_wrk(wrk, url, headers_for(ep), seconds, args.threads, args.connections, workdir, timeout_s)
        return run_httpx(url, headers_for(ep), seconds, args.connections, timeout_s)

    return load


def measure(endpoints: list[Endpoint], load: Callable[[Endpoint, float], dict], args: argparse.Namespace,
            proc: subprocess.Popen, server_log: Path, log: Callable[..., None],
            after_each: Callable[[Endpoint, dict], None] | None = None) -> dict[str, list[dict]]:
    """``args.rounds`` interleaved rounds over ``endpoints``, each a warmup then a measured run."""
    runs: dict[str, list[dict]] = {ep.name: [] for ep in endpoints}
    for rnd in range(args.rounds):
        for ep in endpoints:
            if proc.poll() is not None:
                raise RuntimeError(f"server died:\n{tail(server_log)}")
            if args.warmup > 0:
                load(ep, args.warmup)
            log(f"round {rnd + 1}/{args.rounds}: GET {ep.path} for {args.duration:g} s")
            run = load(ep, args.duration)
            if after_each is not None:
                after_each(ep, run)
            runs[ep.name].append(run)
    return runs


def _child_main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="httpx load generator child (started by common.run_httpx)")
    p.add_argument("--_loadgen", required=True)
    p.add_argument("--duration", type=float, required=True)
    p.add_argument("--connections", type=int, required=True)
    p.add_argument("--_headers", default="{}")
    p.add_argument("--timeout", type=float, default=5.0)
    args = p.parse_args(argv)
    out = asyncio.run(loadgen(args._loadgen, json.loads(args._headers), args.duration, args.connections,
                              args.timeout))
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(_child_main())
