"""Notifier backends, chosen by the ``notifier`` setting."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from cloudfold.notify.base import Notifier
from cloudfold.security.secretbox import SecretBox
from cloudfold.settings import Settings


def make_notifier(settings: Settings, session_factory: sessionmaker[Session], box: SecretBox) -> Notifier:
    if settings.notifier == "smtp":
        from cloudfold.notify.smtp import SmtpNotifier

        return SmtpNotifier(settings)
    from cloudfold.notify.outbox import OutboxNotifier

    return OutboxNotifier(session_factory, box)
