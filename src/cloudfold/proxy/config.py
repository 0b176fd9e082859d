"""Rendering the one haproxy.cfg: a frontend and a backend per load balancer, and the gateway
frontend with one backend per route (longest prefix first). Pure: the same descriptions give
the same text, so an unchanged configuration is recognised by comparing text."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ALGORITHMS = {"round_robin": "roundrobin", "least_conn": "leastconn"}


@dataclass(frozen=True)
class Health:
    path: str = "/"
    interval_s: int = 5
    timeout_s: int = 2
    healthy_threshold: int = 2
    unhealthy_threshold: int = 3


@dataclass(frozen=True)
class Server:
    name: str  # unique in its backend (an instance id)
    host: str
    port: int


@dataclass(frozen=True)
class Balancer:
    id: str
    port: int
    algorithm: str
    health: Health
    servers: tuple[Server, ...] = ()


@dataclass(frozen=True)
class Route:
    id: str
    prefix: str  # "/" or "/a/b" (checked by the domain: letters, digits, "._~-" and "/")
    strip_prefix: bool
    servers: tuple[Server, ...] = ()


@dataclass(frozen=True)
class Paths:
    stats_socket: Path
    state_file: Path


def backend_name(kind: str, object_id: str) -> str:
    return f"{kind}_{object_id}"


GLOBAL = """# Written by cloudfold from its database; changes made here are overwritten.
global
    stats socket {stats} mode 600 level admin expose-fd listeners
    server-state-file {state}
    log stderr format raw local0 err
    # no SO_REUSEPORT: another process (a second data directory's proxy, one left behind) can
    # never bind a listener's port beside this one and silently take part of its traffic;
    # reloads hand the sockets over through the stats socket (expose-fd listeners)
    noreuseport

defaults
    mode http
    timeout connect 3s
    timeout client 60s
    timeout server 60s
    timeout http-request 10s
    retries 2
    # a GET or OPTIONS whose server closed the connection without a byte of answer (it was
    # killed or restarted mid-request) is tried again on another server, as nginx does by
    # default; other methods are not replayed (`_NO_REPLAY` in every backend)
    retry-on conn-failure empty-response
    option redispatch 1
    load-server-state-from-file global
"""


_NO_REPLAY = "    http-request disable-l7-retry unless METH_GET || METH_OPTIONS"  # METH_GET: GET and HEAD


def _servers(servers: tuple[Server, ...], check: bool) -> list[str]:
    suffix = " check" if check else ""
    return [f"    server {s.name} {s.host}:{s.port}{suffix}" for s in servers]


def _balancer(lb: Balancer, bind: str) -> list[str]:
    h = lb.health
    name = backend_name("lb", lb.id)
    return [
        f"frontend {name}",
        f"    bind {bind}:{lb.port}",
        f"    default_backend {name}",
        "",
        f"backend {name}",
        f"    balance {ALGORITHMS[lb.algorithm]}",
        _NO_REPLAY,
        f"    option httpchk GET {h.path}",
        f"    timeout check {h.timeout_s}s",
        f"    default-server inter {h.interval_s}s fastinter {h.interval_s}s downinter {h.interval_s}s "
        f"rise {h.healthy_threshold} fall {h.unhealthy_threshold}",
        *_servers(lb.servers, check=True),
        "",
    ]


def _regex_literal(prefix: str) -> str:
    return prefix.replace(".", "[.]")  # the only regex character a prefix may hold


def _route_match(route: Route) -> str:
    if route.prefix == "/":
        return "{ path_beg / }"
    return f"{{ path {route.prefix} }} || {{ path_beg {route.prefix}/ }}"


def _gateway(routes: list[Route], bind: str, port: int) -> list[str]:
    ordered = sorted(routes, key=lambda r: (-len(r.prefix), r.prefix))  # longest prefix wins
    lines = ["frontend gateway", f"    bind {bind}:{port}"]
    lines += [f"    use_backend {backend_name('rt', r.id)} if {_route_match(r)}" for r in ordered]
    lines += ["    default_backend gateway_unrouted", "", "backend gateway_unrouted",
              "    http-request deny deny_status 404", ""]
    for r in ordered:
        lines.append(f"backend {backend_name('rt', r.id)}")
        if r.strip_prefix and r.prefix != "/":
            lines.append(f"    http-request replace-path '^{_regex_literal(r.prefix)}/?(.*)$' '/\\1'")
        lines += ["    balance roundrobin", _NO_REPLAY, *_servers(r.servers, check=False), ""]
    return lines


def render(balancers: list[Balancer], routes: list[Route], *, bind: str, gateway_port: int, paths: Paths) -> str:
    lines = [GLOBAL.format(stats=paths.stats_socket, state=paths.state_file)]
    for lb in sorted(balancers, key=lambda b: b.id):
        lines += _balancer(lb, bind)
    if gateway_port:
        lines += _gateway(routes, bind, gateway_port)
    return "\n".join(lines).rstrip("\n") + "\n"
