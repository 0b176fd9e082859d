"""Outbox notifier: messages are kept in the database (and announced, never printed, in the log)."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session, sessionmaker

from cloudfold.db.models import OutboxMessage

log = logging.getLogger("cloudfold.notify")


class OutboxNotifier:
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._sessions = session_factory

    def send(self, recipient: str, subject: str, body: str) -> None:
        with self._sessions() as session:
            msg = OutboxMessage(recipient=recipient, subject=subject, body=body)
            session.add(msg)
            session.commit()
            log.info("notification %s queued in the outbox (subject %r)", msg.id, subject)
