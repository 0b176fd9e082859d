"""Declarative base and column types shared by every model."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

from sqlalchemy import DateTime, MetaData, String, TypeDecorator
from sqlalchemy.orm import DeclarativeBase

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def new_uuid() -> str:
    return str(uuid.uuid4())


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite drops tzinfo on its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc) if value is not None else None

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


# Ids shown to users (a seed 004 vmid is a resource id + 99) must never name another object
# later: SQLite reuses the highest rowid after a delete unless the table is AUTOINCREMENT
# (migration 0008); PostgreSQL sequences never go back. Put in a table's __table_args__.
NEVER_REUSE_IDS = {"sqlite_autoincrement": True}

MAX_ID = 2**31 - 1  # integer primary keys are 32-bit on PostgreSQL


def as_record_id(ref: str | int) -> int | None:
    """The integer id a reference names, or None when it is not one the database can hold."""
    if isinstance(ref, int):
        return ref if 1 <= ref <= MAX_ID else None
    if ref.isascii() and ref.isdigit():
        value = int(ref)
        return value if 1 <= value <= MAX_ID else None
    return None


UUID_LEN = 36
UuidStr = String(UUID_LEN)
