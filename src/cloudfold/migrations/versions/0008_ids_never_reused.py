"""ids never reused: SQLite tables whose integer ids are shown become AUTOINCREMENT (issue 9)

SQLite hands out max(rowid) + 1, so deleting the newest row let its id (and a seed 004
vmid) name the next object. AUTOINCREMENT keeps the highest id ever given in
sqlite_sequence. Each table is rebuilt (batch mode: copy, drop, rename), keeping its rows,
indexes and constraints; env.py turns SQLite's foreign keys off around migrations, so
dropping the old table cascades nothing. PostgreSQL sequences never reuse: nothing to do.

Revision ID: 0008
Revises: 0007
"""
from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

TABLES = ('users', 'accounts', 'resources', 'resource_actions', 'audit_events', 'outbox_messages')


def _rebuild(autoincrement: bool) -> None:
    if op.get_bind().dialect.name != 'sqlite':
        return
    for table in TABLES:
        with op.batch_alter_table(table, recreate='always', table_kwargs={'sqlite_autoincrement': autoincrement}):
            pass


def upgrade() -> None:
    _rebuild(True)


def downgrade() -> None:
    _rebuild(False)
