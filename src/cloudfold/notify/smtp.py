"""SMTP notifier (standard library smtplib), with optional STARTTLS and login."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

from cloudfold.errors import ServiceUnavailable
from cloudfold.settings import Settings

log = logging.getLogger("cloudfold.notify")


class SmtpNotifier:
    def __init__(self, settings: Settings) -> None:
        self._s = settings

    def send(self, recipient: str, subject: str, body: str) -> None:
        msg = EmailMessage()
        msg["From"] = self._s.smtp_from
        msg["To"] = recipient
        msg["Subject"] = subject
        msg.set_content(body)
        try:
            with smtplib.SMTP(self._s.smtp_host, self._s.smtp_port, timeout=10) as smtp:
                if self._s.smtp_starttls:
                    smtp.starttls()
                if self._s.smtp_username:
                    smtp.login(self._s.smtp_username, self._s.smtp_password or "")
                smtp.send_message(msg)
        except (OSError, smtplib.SMTPException) as exc:
            log.warning("SMTP delivery to %s:%s failed: %s", self._s.smtp_host, self._s.smtp_port, exc)
            raise ServiceUnavailable("Mail server unavailable") from exc
