"""The data directory: the SQLite file and generated key material (directory 0700, files 0600)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from cloudfold.settings import Settings


SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal")


def ensure_data_dir(settings: Settings) -> Path:
    path = settings.data_dir
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    secure_sqlite_file(settings.sqlalchemy_url)
    return path


def secure_sqlite_file(url: str) -> None:
    """Create a SQLite database file 0600 before SQLite opens it (its -wal and -shm files take
    the database's mode), and bring existing files of an older install to 0600."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite") or parsed.database in (None, "", ":memory:"):
        return
    db = Path(parsed.database)
    if not db.parent.is_dir():
        return
    if not db.exists():
        # Never open an existing database file here: closing any descriptor of it would drop
        # the POSIX locks this process's SQLite connections hold on it.
        try:
            os.close(os.open(db, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            pass
    for suffix in SQLITE_COMPANIONS:
        companion = db.with_name(db.name + suffix)
        if companion.exists():
            os.chmod(companion, 0o600)


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
