"""Start-up checks for `cloudfold serve` and `cloudfold migrate`: everything that can stop a
start is tried here, before the server runs, and a failure is one line on stderr saying what
is wrong and how to fix it, with exit status 1 (`--debug` shows the traceback instead).

Checked in order: the settings, the data directory (a directory this user can write when a
file must be made in it), the database (reachable, a database at all, a schema this version
knows, migrated), the key files (readable, well-formed; the credentials key present when
stored credentials need it), and for `serve` the port.
"""

from __future__ import annotations

import errno
import os
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

import typer

from cloudfold.settings import Settings

EXIT_STARTUP = 1


class StartupError(Exception):
    """`what` went wrong; `fix` says what to do about it."""

    def __init__(self, what: str, fix: str) -> None:
        super().__init__(f"{what}: {fix}")


@contextmanager
def reported(debug: bool) -> Iterator[None]:
    """Turn a StartupError into one line on stderr and a non-zero exit (unless debugging)."""
    try:
        yield
    except StartupError as exc:
        if debug:
            raise
        typer.echo(f"cloudfold: {exc}", err=True)
        raise typer.Exit(EXIT_STARTUP) from None


def load_settings() -> Settings:
    from pydantic import ValidationError

    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "CLOUDFOLD_" + "_".join(str(p) for p in first["loc"]).upper()
        raise StartupError(f"setting {name} is invalid ({first['msg']})",
                           "correct it in the environment or the TOML file") from None
    except (OSError, ValueError) as exc:  # an unreadable or malformed TOML file
        raise StartupError(f"the configuration file cannot be read ({exc})",
                           "fix or remove CLOUDFOLD_CONFIG / <data dir>/cloudfold.toml") from None


def _why(exc: OSError) -> str:
    return exc.strerror or exc.__class__.__name__


def check_data_dir(settings: Settings) -> None:
    from cloudfold.datadir import ensure_data_dir

    path = settings.data_dir
    fix = f"make {path} a directory this user can read and write (chown/chmod), or set CLOUDFOLD_DATA_DIR"
    if path.exists() and not path.is_dir():
        raise StartupError(f"the data directory {path} is not a directory", fix)
    try:
        ensure_data_dir(settings)
        os.listdir(path)
        if _needs_writing(settings):
            with tempfile.TemporaryFile(dir=path):
                pass
    except OSError as exc:
        kind = "read-only" if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM) else "unusable"
        raise StartupError(f"the data directory {path} is {kind} ({_why(exc)})", fix) from None


def _needs_writing(settings: Settings) -> bool:
    """A new file must be made in the data directory: the SQLite database (and its -wal/-shm
    files) lives there, or a key file is still to be generated."""
    if settings.database_url is None:
        return True
    keys = [(settings.secret_key, "jwt.key"), (settings.credentials_key, "credentials.key")]
    return any(not given and not (settings.data_dir / name).exists() for given, name in keys)


def _database_error(url: str, exc: Exception) -> StartupError:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    where = parsed.database if parsed.drivername.startswith("sqlite") else parsed.render_as_string(hide_password=True)
    text = str(getattr(exc, "orig", exc)).splitlines()[0] if str(exc) else exc.__class__.__name__
    if "not a database" in text or "malformed" in text:
        return StartupError(f"the database {where} is damaged or not a SQLite database ({text})",
                            "restore it from a backup, or move it away to start with an empty one")
    if "readonly" in text or "read-only" in text or "unable to open" in text:
        return StartupError(f"the database {where} cannot be written ({text})",
                            "make it and its directory writable by this user")
    return StartupError(f"the database {where} cannot be used ({text})",
                        "check CLOUDFOLD_DATABASE_URL and that the database server is running")


def check_database(settings: Settings) -> None:
    """Reachable, a database, at a revision this version knows; then migrated to head."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from sqlalchemy.exc import SQLAlchemyError

    from cloudfold.db.engine import make_engine
    from cloudfold.db.migrate import alembic_config, upgrade

    url = settings.sqlalchemy_url
    known = {s.revision for s in ScriptDirectory.from_config(alembic_config(url)).walk_revisions()}
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_heads()
    except SQLAlchemyError as exc:
        raise _database_error(url, exc) from None
    finally:
        engine.dispose()
    newer = [r for r in current if r not in known]
    if newer:
        raise StartupError(f"the database's schema ({', '.join(newer)}) is newer than this cloudfold "
                           f"knows (up to {max(known)})",
                           "run the cloudfold version that last used it, or restore a backup made for this one")
    try:
        upgrade(url)
    except SQLAlchemyError as exc:
        raise _database_error(url, exc) from None


def _stored_credentials(settings: Settings) -> int:
    from sqlalchemy import func, select

    from cloudfold.db.engine import make_engine
    from cloudfold.db.models import Account

    engine = make_engine(settings.sqlalchemy_url)
    try:
        with engine.connect() as conn:
            return conn.scalar(select(func.count()).where(Account.credentials_sealed.is_not(None))) or 0
    finally:
        engine.dispose()


def check_keys(settings: Settings) -> None:
    from cloudfold.datadir import jwt_secret
    from cloudfold.security.secretbox import KEY_FILE, SecretBox

    key_file = settings.data_dir / KEY_FILE
    if not settings.credentials_key and not key_file.exists() and (count := _stored_credentials(settings)):
        raise StartupError(f"the credentials key file {key_file} is missing, and {count} stored credential(s) "
                           "are encrypted with it",
                           "restore it from a backup (or set CLOUDFOLD_CREDENTIALS_KEY); a new key cannot read them")
    source = "CLOUDFOLD_CREDENTIALS_KEY" if settings.credentials_key else str(key_file)
    try:
        SecretBox.from_settings(settings)
    except OSError as exc:
        raise StartupError(f"the credentials key file {key_file} cannot be read ({_why(exc)})",
                           "make it a file readable by this user") from None
    except Exception:  # a malformed key: Fernet's ValueError, binascii errors, no key at all
        raise StartupError(f"the credentials key in {source} is damaged (not Fernet keys, one a line)",
                           "restore it from a backup; only if no credentials are stored, move it away for a new one"
                           ) from None
    jwt_file = settings.data_dir / "jwt.key"
    try:
        secret = jwt_secret(settings)
    except OSError as exc:
        raise StartupError(f"the token signing key file {jwt_file} cannot be read ({_why(exc)})",
                           "make it a file readable by this user, or remove it to make a new one "
                           "(everyone signs in again)") from None
    except UnicodeDecodeError:
        secret = ""
    if not secret:
        raise StartupError(f"the token signing key file {jwt_file} is empty or damaged",
                           "remove it to make a new one (everyone signs in again), or set CLOUDFOLD_SECRET_KEY")


def check_port(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            s.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise StartupError(f"port {port} on {host} is in use",
                                   "stop what listens there, or choose another port with --port") from None
            raise StartupError(f"cannot listen on {host}:{port} ({_why(exc)})",
                               "choose another address with --host or a port above 1023 with --port") from None


def prepare(settings: Settings) -> None:
    """Everything `migrate` needs, and `serve` before it listens."""
    check_data_dir(settings)
    check_database(settings)
    check_keys(settings)
