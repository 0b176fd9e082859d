"""Sending one message through one channel: email (the server's SMTP settings,
`notify/smtp.py`), a generic webhook (JSON POST) or an Apprise URL (the chat services Apprise
supports). Webhooks and Apprise connect through the egress rule (`domain/egress`): checked
again at every send, names pinned to their approved addresses. A failure is a `SendFailed`
whose reason never quotes the far end's answer or a secret."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import httpx

from cloudfold.domain import egress
from cloudfold.errors import BadRequest, ServiceUnavailable
from cloudfold.notify.smtp import SmtpNotifier
from cloudfold.settings import Settings

log = logging.getLogger("cloudfold.alerts")


class SendFailed(Exception):
    """Why a send failed, in words safe to show and store."""


@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    payload: dict[str, Any]  # the webhook body


def _email(config: dict[str, Any], secrets: dict[str, Any], trusted: bool, settings: Settings, msg: Message) -> None:
    try:
        SmtpNotifier(settings).send(", ".join(config["to"]), msg.subject, msg.text)
    except ServiceUnavailable:
        raise SendFailed("mail server unavailable") from None


def _webhook(config: dict[str, Any], secrets: dict[str, Any], trusted: bool, settings: Settings, msg: Message) -> None:
    try:
        approved = egress.check_url(secrets["url"], trusted=trusted, settings=settings, what="webhook")
    except BadRequest as exc:
        raise SendFailed(exc.message) from None
    try:
        with egress.guard(settings, trusted, [approved]):
            answer = httpx.post(secrets["url"], json=msg.payload, headers=secrets.get("headers") or {},
                                timeout=settings.alert_delivery_timeout_seconds, follow_redirects=False)
    except httpx.HTTPError as exc:
        log.info("webhook of channel failed: %s", type(exc).__name__)
        raise SendFailed(f"webhook unreachable ({type(exc).__name__})") from None
    if not 200 <= answer.status_code < 300:
        raise SendFailed(f"webhook answered HTTP {answer.status_code}")


def _apprise(config: dict[str, Any], secrets: dict[str, Any], trusted: bool, settings: Settings, msg: Message) -> None:
    import apprise

    logging.getLogger("apprise").setLevel(logging.WARNING)  # its debug lines quote service URLs (tokens)
    notifier = apprise.Apprise(asset=apprise.AppriseAsset(async_mode=False))  # in this thread: under the guard
    if not notifier.add(secrets["url"]):
        raise SendFailed("the Apprise URL is not one Apprise supports")
    with egress.guard(settings, trusted, []):
        sent = notifier.notify(body=msg.text, title=msg.subject)
    if not sent:
        raise SendFailed("the Apprise service did not accept the notification")


SENDERS = {"email": _email, "webhook": _webhook, "apprise": _apprise}


def send(kind: str, config: dict[str, Any], secrets: dict[str, Any], *, trusted: bool, settings: Settings,
         msg: Message) -> None:
    try:
        SENDERS[kind](config, secrets, trusted, settings, msg)
    except SendFailed:
        raise
    except Exception as exc:  # a garbled answer or a library's own failure: a failed delivery, never a loop
        log.warning("alert channel send (%s) failed: %s", kind, type(exc).__name__)
        raise SendFailed(f"{kind} delivery failed ({type(exc).__name__})") from None
