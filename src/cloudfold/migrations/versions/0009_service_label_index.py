"""inventory: expression indexes on the service labels of containers

Finding a seed 000 service reads the containers whose ``cloudfold.service`` or
``com.docker.compose.project`` label names it; these indexes (on exactly the expression that
``cloudfold.db.json_label.label_of`` writes) make that an index seek instead of a table scan.

Revision ID: 0009
Revises: 0006
"""
from alembic import op

from cloudfold.db.json_label import INDEXED, postgresql_sql, sqlite_sql

revision = '0009'
down_revision = '0006'
branch_labels = None
depends_on = None


def _name(label: str) -> str:
    return "ix_resources_label_" + label.replace(".", "_")


def upgrade() -> None:
    render = sqlite_sql if op.get_bind().dialect.name == "sqlite" else postgresql_sql
    for label in INDEXED:
        op.execute(f"CREATE INDEX {_name(label)} ON resources ({render('metadata', label)})")


def downgrade() -> None:
    for label in INDEXED:
        op.execute(f"DROP INDEX {_name(label)}")
