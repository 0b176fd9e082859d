"""Engine and session factory. SQLite runs in WAL mode with foreign keys on."""

from __future__ import annotations

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker


def make_engine(url: str, *, pool_size: int = 16, max_overflow: int = 24) -> Engine:
    if url.startswith("sqlite"):
        # enough kept connections for a busy server to reuse them instead of opening (and running
        # the pragmas on) a new one per request; up to the thread pool's 40 threads in all
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                               pool_size=pool_size, max_overflow=max_overflow)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no branch
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def make_loop_engine(url: str) -> Engine | None:
    """SQLite only: a connection of the event loop's own for short reads made inline (see
    `api/deps.read`). WAL readers never wait for writers, and an indexed read costs less than
    the hop to the thread pool; its own small pool never competes with the pool's threads for
    a connection. None on a database server, where every query is a round trip and goes to
    the thread pool."""
    if not url.startswith("sqlite"):
        return None
    return make_engine(url, pool_size=1, max_overflow=3)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)
