"""lockdowns: the process running each lockdown (or its restore)

A lockdown stops machines one by one inside its request; if that process dies (kill -9) the
row would stay `running` forever. `worker_id` names the process (domain/workers.py), so a
lockdown whose process is gone is settled from the action history (domain/budgets/recovery.py).

Revision ID: 0021
Revises: 0017
"""
import sqlalchemy as sa
from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('lockdowns') as batch:
        batch.add_column(sa.Column('worker_id', sa.String(length=36), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('lockdowns') as batch:
        batch.drop_column('worker_id')
