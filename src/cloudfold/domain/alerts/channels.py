"""Notification channels: made by admins for every alert (owned by no one, shared) or by a
member for their own rules' alerts. What may be shown (email recipients) is kept plain; URLs
and headers, which carry tokens, are sealed with the secret box like cloud credentials and
never returned, logged or audited (the audit line names the fields only)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloudfold.db.models import AlertChannel
from cloudfold.domain import audit, egress, policy
from cloudfold.domain.alerts import ownership
from cloudfold.domain.context import Context, Principal
from cloudfold.errors import BadRequest
from cloudfold.security.secretbox import SecretBox
from cloudfold.settings import Settings

TYPES = ("email", "webhook", "apprise")
SECRET_FIELDS = ("url", "headers")
MAX_RECIPIENTS = 20


@dataclass(frozen=True)
class ChannelSpec:
    """What a request gives (None: not given)."""
    name: str | None = None
    type: str | None = None
    enabled: bool | None = None
    to: list[str] | None = None
    url: str | None = None
    headers: dict[str, str] | None = None


def visible(session: Session, viewer: Principal) -> list[AlertChannel]:
    return list(session.scalars(ownership.channels(select(AlertChannel), viewer).order_by(AlertChannel.id)))


def get(session: Session, viewer: Principal, channel_id: int, verb: str = policy.SEE) -> AlertChannel:
    return ownership.fetch(session, viewer, AlertChannel, channel_id, verb, "Alert channel")


def secrets_of(box: SecretBox, channel: AlertChannel) -> dict[str, Any]:
    return box.open(channel.secret_sealed) if channel.secret_sealed else {}


def _check(kind: str, spec: ChannelSpec, current: dict[str, Any], secrets: dict[str, Any], *, trusted: bool,
           settings: Settings) -> tuple[dict[str, Any], dict[str, Any]]:
    """The channel's shown config and secrets after the change; 400 when they do not fit its type."""
    config = dict(current)
    secrets = dict(secrets)
    if spec.to is not None:
        config["to"] = spec.to
    if spec.url is not None:
        secrets["url"] = spec.url
    if spec.headers is not None:
        secrets["headers"] = spec.headers
    if kind == "email":
        if spec.url is not None or spec.headers is not None:
            raise BadRequest("an email channel takes `to` (recipients), not url or headers")
        if not config.get("to"):
            raise BadRequest("to: an email channel needs at least one recipient")
        if len(config["to"]) > MAX_RECIPIENTS:
            raise BadRequest(f"to: at most {MAX_RECIPIENTS} recipients")
        return {"to": list(dict.fromkeys(config["to"]))}, {}
    if spec.to is not None:
        raise BadRequest(f"a {kind} channel takes url{' and headers' if kind == 'webhook' else ''}, not `to`")
    if not secrets.get("url"):
        raise BadRequest(f"url: a {kind} channel needs a URL")
    if kind == "webhook":
        egress.check_url(secrets["url"], trusted=trusted, settings=settings, what="url")
        if len(secrets.get("headers") or {}) > 20:
            raise BadRequest("headers: at most 20")
        return {}, {"url": secrets["url"], "headers": secrets.get("headers") or {}}
    if spec.headers is not None:
        raise BadRequest("an apprise channel takes url, not headers")
    import apprise

    if apprise.Apprise.instantiate(secrets["url"]) is None:
        raise BadRequest("url: not a URL of a service Apprise supports")
    return {}, {"url": secrets["url"]}  # its host is checked by the egress rule at every send


def create(session: Session, ctx: Context, box: SecretBox, settings: Settings, spec: ChannelSpec) -> AlertChannel:
    p = ctx.principal
    if spec.type not in TYPES:
        raise BadRequest(f"type must be one of: {', '.join(TYPES)}")
    if not spec.name:
        raise BadRequest("name is required")
    config, secrets = _check(spec.type, spec, {}, {}, trusted=p.is_admin, settings=settings)
    channel = AlertChannel(owner_id=None if p.is_admin else p.user_id, name=spec.name, type=spec.type,
                           config=config, secret_sealed=box.seal(secrets) if secrets else None,
                           enabled=True if spec.enabled is None else spec.enabled)
    session.add(channel)
    session.flush()
    audit.record(session, ctx, "alert_channel.create", target=f"alert_channel:{channel.id}",
                 detail={"type": spec.type, "fields": sorted(config) + [f"{k} (sealed)" for k in sorted(secrets)]})
    session.commit()
    return channel


def update(session: Session, ctx: Context, box: SecretBox, settings: Settings, channel_id: int,
           spec: ChannelSpec) -> AlertChannel:
    channel = get(session, ctx.principal, channel_id, policy.CHANGE)
    if spec.type is not None and spec.type != channel.type:
        raise BadRequest("type cannot be changed; make a new channel")
    trusted = egress.owner_trusted(session, channel.owner_id) or ctx.principal.is_admin
    config, secrets = _check(channel.type, spec, channel.config or {}, secrets_of(box, channel), trusted=trusted,
                             settings=settings)
    if spec.name is not None:
        if not spec.name:
            raise BadRequest("name must not be empty")
        channel.name = spec.name
    if spec.enabled is not None:
        channel.enabled = spec.enabled
    channel.config = config
    channel.secret_sealed = box.seal(secrets) if secrets else None
    changed = [k for k in ("name", "enabled", "to") if getattr(spec, k) is not None]
    changed += [f"{k} (sealed)" for k in SECRET_FIELDS if getattr(spec, k) is not None]
    audit.record(session, ctx, "alert_channel.update", target=f"alert_channel:{channel.id}", detail={"fields": changed})
    session.commit()
    return channel


def delete(session: Session, ctx: Context, channel_id: int) -> None:
    channel = get(session, ctx.principal, channel_id, policy.DELETE)
    audit.record(session, ctx, "alert_channel.delete", target=f"alert_channel:{channel.id}")
    session.delete(channel)
    session.commit()
