"""Anonymous refusals (401 without a valid credential, 429 of an anonymous caller) are
counted, not written one by one: one audit row per source address, action, status and
minute, whose ``count`` says how many refusals it stands for.

Each process keeps its counts in memory and adds them to the rows every
``audit_sample_seconds`` (and when it stops) with one UPSERT per row: ``count = count + n``
is atomic in the database, so any number of processes add to the same row correctly.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from cloudfold.db.base import utcnow
from cloudfold.db.models import AuditEvent
from cloudfold.domain import audit
from cloudfold.jobs.ticker import Ticker
from cloudfold.security.redact import redact

log = logging.getLogger("cloudfold.audit")


@dataclass
class _Pending:
    first: datetime
    ip: str | None
    action: str
    target: str | None
    status: int
    reason: str
    request_id: str | None
    count: int = 0


def sample_key(ip: str | None, action: str, status: int, minute: datetime) -> str:
    material = f"{ip}\n{action}\n{status}\n{minute:%Y-%m-%dT%H:%M}"
    return hashlib.sha256(material.encode()).hexdigest()


def _insert(session: Session):
    name = session.get_bind().dialect.name
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - cloudfold runs on SQLite and PostgreSQL
        raise RuntimeError(f"no UPSERT for {name}")
    return insert(AuditEvent)


def add_counts(session: Session, pending: dict[str, _Pending]) -> None:
    """Add each pending count to its row (made on first use); commits."""
    for key, p in pending.items():
        stmt = _insert(session).values(
            time=p.first, actor_user_id=None, actor="anonymous", actor_ip=p.ip, action=p.action,
            target=redact(p.target) if p.target else None, result=audit.BLOCKED, status_code=p.status,
            request_id=p.request_id, detail={"reason": redact(p.reason), "sampled": True}, sample_key=key,
            count=p.count,
        )
        session.execute(stmt.on_conflict_do_update(index_elements=[AuditEvent.sample_key],
                                                   set_={"count": AuditEvent.count + stmt.excluded.count}))
    session.commit()


class RefusalSampler:
    def __init__(self, sessions: sessionmaker[Session], interval: float) -> None:
        self._sessions = sessions
        self._lock = threading.Lock()
        self._pending: dict[str, _Pending] = {}
        self._ticker = Ticker("cloudfold-refusals", interval, self.flush)

    def add(self, ip: str | None, action: str, target: str | None, status: int, reason: str,
            request_id: str | None) -> None:
        now = utcnow()
        key = sample_key(ip, action, status, now)
        with self._lock:
            entry = self._pending.get(key)
            if entry is None:
                entry = self._pending[key] = _Pending(now, ip, action, target, status, reason, request_id)
            entry.count += 1

    def flush(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, {}
        if not pending:
            return
        try:
            with self._sessions() as session:
                add_counts(session, pending)
        except Exception:  # keep the counts for the next try rather than lose them
            log.exception("could not write sampled refusals to the audit log")
            with self._lock:
                for key, p in pending.items():
                    mine = self._pending.setdefault(key, p)
                    if mine is not p:
                        mine.count += p.count

    def start(self) -> None:
        self._ticker.start()

    def stop(self) -> None:
        self._ticker.stop(timeout=10)
        self.flush()
