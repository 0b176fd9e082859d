"""Outbox notifier: messages are kept in the database (and announced, never printed, in the log).

Bodies carry secrets (a reset token), so they are sealed with the secret box before they are
stored; ``cloudfold outbox show`` (an operator with the key) opens them.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cloudfold.db.models import OutboxMessage
from cloudfold.security.secretbox import SecretBox

log = logging.getLogger("cloudfold.notify")


def seal_body(box: SecretBox, body: str) -> str:
    return box.seal({"body": body})


def open_body(box: SecretBox, message: OutboxMessage) -> str:
    """The message's text (older rows, from before sealing, are plain)."""
    return box.open(message.body)["body"] if message.sealed else message.body


def messages(session: Session, recipient: str | None = None, limit: int = 20) -> list[OutboxMessage]:
    """The newest ``limit`` messages (optionally to one recipient), oldest first."""
    stmt = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if recipient:
        stmt = stmt.where(OutboxMessage.recipient == recipient)
    return list(reversed(session.scalars(stmt).all()))


class OutboxNotifier:
    def __init__(self, session_factory: sessionmaker[Session], box: SecretBox) -> None:
        self._sessions = session_factory
        self._box = box

    def send(self, recipient: str, subject: str, body: str) -> None:
        with self._sessions() as session:
            msg = OutboxMessage(recipient=recipient, subject=subject, body=seal_body(self._box, body), sealed=True)
            session.add(msg)
            session.commit()
            log.info("notification %s queued in the outbox (subject %r)", msg.id, subject)
