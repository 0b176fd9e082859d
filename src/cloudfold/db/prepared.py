"""Prepared reads: a SQLAlchemy Core ``select`` compiled once per dialect and run on the DBAPI
cursor, its columns converted by the same type processors SQLAlchemy itself would apply.

For the hottest short reads only (the authenticated read path, `bench/bench_http.py`): a Core
``execute`` spends ~35 µs per call in its execution context and result machinery around a
~5 µs SQLite query. The statement is still written, and checked, as SQLAlchemy Core; the
database answers every call (nothing is cached but the compiled text), so it is as correct
across processes as any other read.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, Select

_Compiled = tuple[str, dict[str, Callable | None], tuple[str, ...] | None, list[Callable | None]]


class Prepared:
    """``Prepared(stmt).all(engine, **params)`` → the rows of ``stmt`` as named tuples whose
    fields are the selected columns' keys. Parameters are ``bindparam`` names."""

    def __init__(self, stmt: Select) -> None:
        self.stmt = stmt
        self.row = namedtuple("Row", [c.key for c in stmt.selected_columns])  # type: ignore[misc]
        self._by_dialect: dict[str, _Compiled] = {}

    def _compiled(self, engine: Engine) -> _Compiled:
        dialect = engine.dialect
        found = self._by_dialect.get(dialect.name)
        if found is None:
            compiled = self.stmt.compile(dialect=dialect)
            binds = {name: bind.type.dialect_impl(dialect).bind_processor(dialect) for name, bind in compiled.binds.items()}
            positions = tuple(compiled.positiontup) if compiled.positional else None
            processors = [c.type.dialect_impl(dialect).result_processor(dialect, None) for c in self.stmt.selected_columns]
            found = self._by_dialect[dialect.name] = (str(compiled), binds, positions, processors)
        return found

    def all(self, engine: Engine, **params: Any) -> list[Any]:
        sql, binds, positions, processors = self._compiled(engine)
        values = {k: (binds[k](v) if binds.get(k) else v) for k, v in params.items()}
        args: Any = tuple(values[name] for name in positions) if positions is not None else values
        conn = engine.raw_connection()
        try:
            cursor = conn.cursor()
            try:
                cursor.execute(sql, args)
                raw = cursor.fetchall()
            finally:
                cursor.close()
        finally:
            conn.close()  # back to the pool (a rollback of the read)
        make = self.row._make
        return [make([v if p is None else p(v) for p, v in zip(processors, r)]) for r in raw]
