"""read path: kept inventory counts, and expression indexes on the service labels

``resource_counts`` holds how many records (and their summed hourly cost, in millionths) there
are per (account, owner, provider, kind, region, status, vanished); triggers on ``resources``
keep it exact on every insert, update and delete — ORM or Core, sync, create, delete, vanish,
or an account's cascade — so list totals and the dashboard read a few hundred rows.

Finding a seed 000 service reads the containers whose ``cloudfold.service`` or
``com.docker.compose.project`` label names it; the expression indexes (on exactly the SQL that
``cloudfold.db.json_label.label_of`` writes) make that an index seek instead of a table scan.

Merge note: on SQLite a later migration that rebuilds ``resources`` (``batch_alter_table``,
e.g. for AUTOINCREMENT ids) drops its triggers and expression indexes with the old table;
chain this revision after any such rebuild, or have the rebuild re-create them (the
functions here render them).

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

from cloudfold.db.json_label import INDEXED, postgresql_sql, sqlite_sql

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

KEY = ("account_id", "owner_id", "provider", "kind", "region", "status", "vanished")


def _group(row: str) -> list[str]:
    """The group of a resources row (NEW or OLD) in resource_counts' terms."""
    return [f"COALESCE({row}.account_id, 0)", f"COALESCE({row}.owner_id, 0)", f"{row}.provider", f"{row}.kind",
            f"COALESCE({row}.region, '')", f"{row}.status", f"{row}.vanished"]


def _cost(row: str) -> str:
    return f"CAST(ROUND(COALESCE({row}.cost_per_hour, 0) * 1000000) AS BIGINT)"


def _add(row: str) -> str:
    return (f"INSERT INTO resource_counts ({', '.join(KEY)}, n, cost_micros) "
            f"VALUES ({', '.join(_group(row))}, 1, {_cost(row)}) "
            f"ON CONFLICT ({', '.join(KEY)}) DO UPDATE SET n = resource_counts.n + 1, "
            f"cost_micros = resource_counts.cost_micros + excluded.cost_micros;")


def _remove(row: str) -> str:
    match = " AND ".join(f"{k} = {v}" for k, v in zip(KEY, _group(row)))
    return f"UPDATE resource_counts SET n = n - 1, cost_micros = cost_micros - {_cost(row)} WHERE {match};"


CHANGED = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in (*KEY, "cost_per_hour"))
WATCHED = ", ".join((*KEY, "cost_per_hour"))


def _sqlite_triggers() -> list[str]:
    changed = CHANGED.replace("IS DISTINCT FROM", "IS NOT")
    return [
        f"CREATE TRIGGER resource_counts_insert AFTER INSERT ON resources BEGIN {_add('NEW')} END",
        f"CREATE TRIGGER resource_counts_delete AFTER DELETE ON resources BEGIN {_remove('OLD')} END",
        f"CREATE TRIGGER resource_counts_update AFTER UPDATE OF {WATCHED} ON resources WHEN {changed} "
        f"BEGIN {_remove('OLD')} {_add('NEW')} END",
    ]


def _postgresql_triggers() -> list[str]:
    return [
        f"""CREATE FUNCTION resource_counts_keep() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP IN ('DELETE', 'UPDATE') THEN {_remove('OLD')} END IF;
          IF TG_OP IN ('INSERT', 'UPDATE') THEN {_add('NEW')} END IF;
          RETURN NULL;
        END $$""",
        "CREATE TRIGGER resource_counts_insert_delete AFTER INSERT OR DELETE ON resources "
        "FOR EACH ROW EXECUTE FUNCTION resource_counts_keep()",
        f"CREATE TRIGGER resource_counts_update AFTER UPDATE OF {WATCHED} ON resources "
        f"FOR EACH ROW WHEN ({CHANGED}) EXECUTE FUNCTION resource_counts_keep()",
    ]


def _name(label: str) -> str:
    return "ix_resources_label_" + label.replace(".", "_")


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.create_table(
        'resource_counts',
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('owner_id', sa.Integer(), nullable=False),
        sa.Column('provider', sa.String(length=32), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('region', sa.String(length=64), nullable=False),
        sa.Column('status', sa.String(length=32), nullable=False),
        sa.Column('vanished', sa.Boolean(), nullable=False),
        sa.Column('n', sa.BigInteger(), nullable=False),
        sa.Column('cost_micros', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(*KEY),
    )
    op.execute(f"INSERT INTO resource_counts ({', '.join(KEY)}, n, cost_micros) "
               f"SELECT {', '.join(_group('r'))}, COUNT(*), SUM({_cost('r')}) FROM resources r "
               f"GROUP BY {', '.join(_group('r'))}")
    for statement in _sqlite_triggers() if sqlite else _postgresql_triggers():
        op.execute(statement)
    render = sqlite_sql if sqlite else postgresql_sql
    for label in INDEXED:
        op.execute(f"CREATE INDEX {_name(label)} ON resources ({render('metadata', label)})")


def downgrade() -> None:
    for label in INDEXED:
        op.execute(f"DROP INDEX {_name(label)}")
    if op.get_bind().dialect.name == "sqlite":
        for name in ("resource_counts_insert", "resource_counts_delete", "resource_counts_update"):
            op.execute(f"DROP TRIGGER {name}")
    else:
        op.execute("DROP TRIGGER resource_counts_update ON resources")
        op.execute("DROP TRIGGER resource_counts_insert_delete ON resources")
        op.execute("DROP FUNCTION resource_counts_keep()")
    op.drop_table('resource_counts')
