"""From the database to the running proxy: every load balancer and gateway route rendered into
one haproxy.cfg (cloudfold.proxy) and applied when the text changed. Called after every change
(`apply`), and by the `proxy.supervise` job every `proxy_supervise_seconds`, which also drops
targets whose instance was terminated and restarts a dead proxy with the configuration rebuilt
from the database: a restart of cloudfold or of HAProxy loses nothing.

A target's address is its instance's published host port on `local_publish_ip` (the proxy runs
on the host; a rootful Podman or Docker publishes there, while the containers' bridge addresses
sit on isolated edge networks that change with every restart)."""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloudfold import proxy
from cloudfold.db.models import CloudObject, GatewayRoute, LbTarget, LoadBalancer, Resource
from cloudfold.domain import audit
from cloudfold.domain.context import SYSTEM
from cloudfold.errors import ServiceUnavailable
from cloudfold.jobs.registry import JobContext, job
from cloudfold.settings import Settings

log = logging.getLogger(__name__)
GONE = ("terminated",)  # an instance in this state (or vanished) is no longer a target


def haproxy(settings: Settings) -> proxy.Haproxy:
    return proxy.Haproxy(Path(settings.data_dir) / "proxy", settings.proxy_bin)


def published(settings: Settings, instance: CloudObject, port: int) -> tuple[str, int] | None:
    """Where the host reaches ``port`` of an instance: its published host port, or None."""
    for host_port, container_port, proto in instance.spec.get("ports") or []:
        if int(container_port) == int(port) and proto == "tcp":
            return settings.local_publish_ip, int(host_port)
    return None


def live(instance: CloudObject | None) -> bool:
    return instance is not None and not instance.resource.vanished and instance.resource.status not in GONE


def _health(lb: LoadBalancer) -> proxy.Health:
    return proxy.Health(**lb.health_check)


def _instances(session: Session, ids: set[str]) -> dict[str, CloudObject]:
    if not ids:
        return {}
    return {o.id: o for o in session.scalars(select(CloudObject).where(CloudObject.id.in_(ids)))}


def _server(settings: Settings, instance: CloudObject | None, port: int) -> proxy.Server | None:
    if not live(instance):
        return None
    address = published(settings, instance, port)
    return proxy.Server(instance.id, *address) if address else None


def describe(session: Session, settings: Settings) -> tuple[list[proxy.Balancer], list[proxy.Route]]:
    lbs = list(session.scalars(select(LoadBalancer)))
    routes = list(session.scalars(select(GatewayRoute)))
    wanted = {t.instance_id for lb in lbs for t in lb.targets}
    wanted |= {r.target_id for r in routes if r.target_kind == "instance"}
    instances = _instances(session, wanted)
    ports = {lb.id: lb.port for lb in lbs}
    balancers = [proxy.Balancer(lb.id, lb.port, lb.algorithm, _health(lb), tuple(
        s for t in lb.targets if (s := _server(settings, instances.get(t.instance_id), t.port)) is not None))
        for lb in lbs]
    out = []
    for r in routes:
        if r.target_kind == "instance":
            server = _server(settings, instances.get(r.target_id), r.target_port)
        elif r.target_kind == "load_balancer":
            server = proxy.Server("lb", settings.lb_bind, ports[r.target_id]) if r.target_id in ports else None
        else:
            server = proxy.Server("url", r.target_host, r.target_port)
        out.append(proxy.Route(r.id, r.prefix, r.strip_prefix, (server,) if server else ()))
    return balancers, out


def render(session: Session, settings: Settings) -> tuple[str, bool]:
    """The configuration text, and whether there is anything to serve."""
    balancers, routes = describe(session, settings)
    h = haproxy(settings)
    text = proxy.render(balancers, routes, bind=settings.lb_bind, gateway_port=settings.gateway_port, paths=h.paths)
    return text, bool(balancers or routes)


def apply(session: Session, settings: Settings) -> str:
    """Make the running proxy serve what the database holds (503 when it cannot; the change
    stays stored, and the supervisor applies it once the proxy can take it)."""
    text, serving = render(session, settings)
    try:
        return haproxy(settings).apply(text, start=serving)
    except proxy.ProxyError as exc:
        log.warning("the proxy did not take the new configuration: %s", exc)
        raise ServiceUnavailable(f"The load balancer proxy did not take the change: {exc}") from None


def drop_gone_targets(session: Session) -> int:
    """Targets whose instance was terminated or vanished leave their load balancer (each
    audited as the system's `load_balancer.target_remove`)."""
    gone = (select(LbTarget).join(CloudObject, CloudObject.id == LbTarget.instance_id)
            .join(Resource, Resource.id == CloudObject.resource_id)
            .where((Resource.vanished.is_(True)) | (Resource.status.in_(GONE))))
    targets = list(session.scalars(gone))
    for target in targets:
        audit.record(session, SYSTEM, "load_balancer.target_remove", target=f"load_balancer:{target.lb_id}",
                     detail={"instance_id": target.instance_id, "reason": "instance terminated"})
        session.delete(target)
    session.commit()
    return len(targets)


@job("proxy.supervise")
def supervise(ctx: JobContext, payload: dict) -> dict:
    with ctx.sessions() as session:
        dropped = drop_gone_targets(session)
        text, serving = render(session, ctx.settings)
    done = haproxy(ctx.settings).apply(text, start=serving)
    if done != "unchanged":
        log.info("proxy %s (%d target(s) of gone instances dropped)", done, dropped)
    from cloudfold.domain.loadbalancers import health

    with ctx.sessions() as session:
        changed = health.record(session, ctx.settings, ctx.services.events if ctx.services is not None else None)
    return {"proxy": done, "dropped_targets": dropped, "target_states_changed": changed}


def instance_gone(session: Session, settings: Settings) -> None:
    """An instance was terminated: it leaves every load balancer now, not at the next tick. The
    termination stands whatever happens here (the supervisor finishes what fails)."""
    try:
        if drop_gone_targets(session):
            apply(session, settings)
    except Exception:  # noqa: BLE001 - the proxy's trouble is reported by its supervisor
        log.exception("could not take a terminated instance out of its load balancers")
