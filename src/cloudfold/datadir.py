"""The data directory: the SQLite file and generated key material (files mode 0600)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from cloudfold.settings import Settings


def ensure_data_dir(settings: Settings) -> Path:
    path = settings.data_dir
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


def read_or_create_secret(path: Path, nbytes: int = 48) -> str:
    """Return the secret stored at ``path``, creating it (mode 0600) on first use.

    Creation uses O_EXCL so that two processes starting together agree on one key.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_urlsafe(nbytes))
    return path.read_text().strip()


def jwt_secret(settings: Settings) -> str:
    if settings.secret_key:
        return settings.secret_key
    ensure_data_dir(settings)
    return read_or_create_secret(settings.data_dir / "jwt.key")
