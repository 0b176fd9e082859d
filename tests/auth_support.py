"""Helpers shared by the auth test files (test_auth_jwt, test_auth_thecloud, test_password_reset)."""

from __future__ import annotations

import logging
import re
import socket
import threading
from datetime import datetime
from email import message_from_bytes
from email.policy import default as default_policy

from helpers_api import flush_refusals
from sqlalchemy import select

from cloudfold.db.models import AuditEvent, OutboxMessage, User
from cloudfold.notify.outbox import open_body

FORGOT_MESSAGE = "If the email exists, a reset token has been sent."
NEW_PASSWORD = "a-brand-new-passphrase"
TOKEN_IN_MAIL = re.compile(r"reset token is:\s*(\S+)")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def runtime_of(client):
    return client.app.state.runtime


def parse_time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    assert parsed.tzinfo is not None, f"timestamp without a zone: {value}"
    return parsed


# --- the database --------------------------------------------------------------------------------------------------


def audit_rows(client, action: str | None = None, result: str | None = None) -> list[AuditEvent]:
    """Audit events written so far (counted refusals flushed first), oldest first, optionally filtered."""
    flush_refusals(client)
    stmt = select(AuditEvent).order_by(AuditEvent.id)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    if result:
        stmt = stmt.where(AuditEvent.result == result)
    with runtime_of(client).sessions() as session:
        return list(session.scalars(stmt))


def user_row(client, email: str) -> User | None:
    with runtime_of(client).sessions() as session:
        return session.scalar(select(User).where(User.email == email.lower()))


def update_user(client, email: str, **values) -> None:
    with runtime_of(client).sessions() as session:
        user = session.scalar(select(User).where(User.email == email.lower()))
        for name, value in values.items():
            setattr(user, name, value)
        session.commit()


def table_values(client, model) -> list[str]:
    """Every value of every column of every row of ``model``'s table, as text."""
    with runtime_of(client).sessions() as session:
        rows = session.execute(select(*model.__table__.columns)).all()
    return [str(value) for row in rows for value in row]


def outbox(client, recipient: str | None = None) -> list[OutboxMessage]:
    """Outbox messages, oldest first, with their bodies opened (they are stored sealed): the one
    way tests read what the outbox notifier sent."""
    stmt = select(OutboxMessage).order_by(OutboxMessage.id)
    if recipient:
        stmt = stmt.where(OutboxMessage.recipient == recipient)
    runtime = runtime_of(client)
    with runtime.sessions() as session:
        rows = list(session.scalars(stmt))
        session.expunge_all()
    for row in rows:
        assert row.sealed, "the outbox stored a message unsealed"
        row.body = open_body(runtime.secretbox, row)
    return rows


def token_from_text(text: str) -> str:
    match = TOKEN_IN_MAIL.search(text)
    assert match, f"no reset token in message: {text!r}"
    return match.group(1)


def outbox_token(client, email: str) -> str:
    """The reset token of the newest outbox message sent to ``email``."""
    messages = outbox(client, email)
    assert messages, f"no outbox message for {email}"
    return token_from_text(messages[-1].body)


# --- the API ---------------------------------------------------------------------------------------------------------


def forgot(client, email: str):
    return client.post("/auth/forgot-password", json={"email": email})


def reset(client, token: str, new_password: str = NEW_PASSWORD):
    return client.post("/auth/reset-password", json={"token": token, "new_password": new_password})


def form_login(client, email: str, password: str):
    return client.post("/auth/login", data={"username": email, "password": password})


def json_login(client, email: str, password: str):
    return client.post("/auth/login", json={"email": email, "password": password})


def request_reset_token(client, email: str) -> str:
    r = forgot(client, email)
    assert r.status_code == 200, r.text
    return outbox_token(client, email)


def my_audit(client, headers: dict[str, str], **params) -> list[dict]:
    r = client.get("/monitor/audit", headers=headers, params={"limit": 500, **params})
    assert r.status_code == 200, r.text
    return r.json()["events"]


# --- a real SMTP server ----------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class CollectingHandler:
    """aiosmtpd handler keeping every message it accepts (or refusing all with ``reply``)."""

    def __init__(self, reply: str | None = None) -> None:
        self.reply = reply
        self.messages: list = []
        self.arrived = threading.Event()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        if self.reply:
            return self.reply
        msg = message_from_bytes(envelope.original_content or envelope.content, policy=default_policy)
        self.messages.append((list(envelope.rcpt_tos), msg))
        self.arrived.set()
        return "250 Message accepted for delivery"

    def only_message(self):
        assert self.arrived.wait(5), "no mail reached the SMTP server"
        assert len(self.messages) == 1, self.messages
        return self.messages[0]


class captured_logs:  # noqa: N801 (used like a function: ``with captured_logs() as logs``)
    """Collect every record of the ``cloudfold`` loggers, tracebacks included, whatever the
    logging configuration (the app's own config stops propagation to pytest's handler)."""

    def __init__(self, name: str = "cloudfold") -> None:
        self._logger = logging.getLogger(name)
        self._handler = logging.Handler(logging.DEBUG)
        self._handler.emit = lambda record: self.records.append(record)
        self.records: list[logging.LogRecord] = []

    def __enter__(self) -> captured_logs:
        self._old_level = self._logger.level
        self._logger.setLevel(logging.DEBUG)
        self._logger.addHandler(self._handler)
        return self

    def __exit__(self, *exc) -> None:
        self._logger.removeHandler(self._handler)
        self._logger.setLevel(self._old_level)

    @property
    def text(self) -> str:
        formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
        return "\n".join(formatter.format(r) for r in self.records)
