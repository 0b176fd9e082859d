"""How cloudfold tells people things (password resets now; alerts later)."""

from __future__ import annotations

from typing import Protocol


class Notifier(Protocol):
    def send(self, recipient: str, subject: str, body: str) -> None: ...
