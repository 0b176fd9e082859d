"""`db/prepared.Prepared` answers exactly what SQLAlchemy Core answers for the same select —
the same values with the same types after every column's type processing (aware datetimes from
`UTCDateTime`, JSON lists, NULLs), on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import bindparam, create_engine, select

from cloudfold.db.models import ApiKey
from cloudfold.db.prepared import Prepared

pytestmark = pytest.mark.database


def _keys(client, headers, n: int) -> None:
    for i in range(n):
        assert client.post("/auth/keys", json={"name": f"k{i}", "expires_in_days": 3 if i % 2 else None},
                           headers=headers).status_code == 201


def test_prepared_rows_equal_core_rows(client, member, database_url):
    _keys(client, member.headers, 4)
    stmt = (select(ApiKey.id, ApiKey.name, ApiKey.scopes, ApiKey.created_at, ApiKey.last_used, ApiKey.expires_at,
                   ApiKey.user_id)
            .where(ApiKey.revoked_at.is_(None), ApiKey.name.like(bindparam("pattern"))).order_by(ApiKey.created_at))
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            core = [tuple(r) for r in conn.execute(stmt, {"pattern": "k%"})]
        prepared = Prepared(stmt).all(engine, pattern="k%")
    finally:
        engine.dispose()
    assert len(core) == 4
    assert [tuple(r) for r in prepared] == core
    row = prepared[1]
    assert row.name == "k1" and isinstance(row.scopes, list)
    assert isinstance(row.created_at, datetime) and row.created_at.utcoffset() == timedelta(0)
    assert row.expires_at is not None and prepared[0].expires_at is None


def test_prepared_read_sees_every_change(client, member, database_url):
    """Nothing but the statement's text is kept: a key revoked through the API is gone from the
    next read."""
    _keys(client, member.headers, 2)
    stmt = select(ApiKey.id, ApiKey.name).where(ApiKey.revoked_at.is_(None), ApiKey.name == bindparam("name"))
    read = Prepared(stmt)
    engine = create_engine(database_url)
    try:
        [row] = read.all(engine, name="k0")
        assert client.delete(f"/auth/keys/{row.id}", headers=member.headers).status_code == 204
        assert read.all(engine, name="k0") == []
        assert [r.name for r in read.all(engine, name="k1")] == ["k1"]
    finally:
        engine.dispose()
