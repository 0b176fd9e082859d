"""A container label read from a resource's stored metadata (``metadata.labels[<name>]``) as the
exact SQL expression that migration 0009 indexes, so that a lookup by label is an index seek.

The label name is written into the SQL as a literal (never a bound parameter): an expression
index is used only when the query repeats the indexed expression token for token."""

from __future__ import annotations

import re

from sqlalchemy import String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

INDEXED = ("cloudfold.service", "com.docker.compose.project")  # migration 0009's indexes
_SAFE = re.compile(r"^[A-Za-z0-9_.-]+$")


class label_of(FunctionElement):
    """``label_of(Resource.meta, "cloudfold.service")``: that label as text, or NULL."""

    type = String()
    inherit_cache = True
    name = "label_of"

    def __init__(self, column, label: str) -> None:
        if not _SAFE.match(label):
            raise ValueError(f"not a label name usable in SQL: {label!r}")
        self.label = label
        super().__init__(column)


def sqlite_sql(column: str, label: str) -> str:
    return f"json_extract({column}, '$.labels.\"{label}\"')"


def postgresql_sql(column: str, label: str) -> str:
    return f"(({column} -> 'labels') ->> '{label}')"


@compiles(label_of, "sqlite")
def _sqlite(element: label_of, compiler, **kw) -> str:
    return sqlite_sql(compiler.process(element.clauses, **kw), element.label)


@compiles(label_of, "postgresql")
def _postgresql(element: label_of, compiler, **kw) -> str:
    return postgresql_sql(compiler.process(element.clauses, **kw), element.label)
