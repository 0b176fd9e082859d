"""Encryption at rest for cloud credentials (Fernet: AES-128-CBC + HMAC-SHA256).

The key ring is ``CLOUDFOLD_CREDENTIALS_KEY`` (comma-separated, newest first) or the file
``credentials.key`` in the data dir (one key a line, newest first; generated on first use).
Rotation prepends a new key and re-encrypts every stored secret with it
(``cloudfold credentials rotate-key``); older keys still decrypt until then.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from cloudfold.datadir import ensure_data_dir
from cloudfold.settings import Settings

KEY_FILE = "credentials.key"


class SecretBoxError(Exception):
    pass


def _key_file(settings: Settings) -> Path:
    return settings.data_dir / KEY_FILE


def load_keys(settings: Settings) -> list[bytes]:
    if settings.credentials_key:
        return [k.strip().encode() for k in settings.credentials_key.split(",") if k.strip()]
    ensure_data_dir(settings)
    path = _key_file(settings)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as fh:
            fh.write(Fernet.generate_key().decode() + "\n")
    return [line.strip().encode() for line in path.read_text().splitlines() if line.strip()]


class SecretBox:
    def __init__(self, keys: list[bytes]) -> None:
        if not keys:
            raise SecretBoxError("no credentials encryption key")
        self._fernet = MultiFernet([Fernet(k) for k in keys])

    @classmethod
    def from_settings(cls, settings: Settings) -> SecretBox:
        return cls(load_keys(settings))

    def seal(self, data: dict[str, Any]) -> str:
        return self._fernet.encrypt(json.dumps(data, sort_keys=True).encode()).decode()

    def open(self, token: str | None) -> dict[str, Any]:
        if not token:
            return {}
        try:
            return json.loads(self._fernet.decrypt(token.encode()))
        except InvalidToken as exc:
            raise SecretBoxError("stored credentials cannot be decrypted with the configured keys") from exc

    def seal_bytes(self, data: bytes) -> bytes:
        return self._fernet.encrypt(data)

    def open_bytes(self, token: bytes) -> bytes:
        try:
            return self._fernet.decrypt(token)
        except InvalidToken as exc:
            raise SecretBoxError("stored data cannot be decrypted with the configured keys") from exc

    def rotate(self, token: str) -> str:
        return self._fernet.rotate(token.encode()).decode()


def add_new_key(settings: Settings) -> None:
    """Put a fresh key at the head of the key file (env-configured keys are rotated by the operator)."""
    if settings.credentials_key:
        raise SecretBoxError("keys come from CLOUDFOLD_CREDENTIALS_KEY: prepend a new key there instead")
    keys = load_keys(settings)
    path = _key_file(settings)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write("\n".join([Fernet.generate_key().decode()] + [k.decode() for k in keys]) + "\n")
    os.replace(tmp, path)
