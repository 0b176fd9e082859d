"""cost_syncs: the spending sync's lock, outcome and backoff per account (issue 11)

Revision ID: 0016
Revises: 0015
"""
import sqlalchemy as sa
from alembic import op

from cloudfold.db.base import UTCDateTime

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'cost_syncs',
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('running_since', UTCDateTime(), nullable=True),
        sa.Column('task_id', sa.String(length=36), nullable=True),
        sa.Column('requested', sa.Boolean(), nullable=False),
        sa.Column('last_at', UTCDateTime(), nullable=True),
        sa.Column('last_status', sa.String(length=16), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('last_success_at', UTCDateTime(), nullable=True),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('next_after', UTCDateTime(), nullable=True),
        sa.Column('stale', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_cost_syncs_account_id_accounts'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('account_id', name=op.f('pk_cost_syncs')),
    )


def downgrade() -> None:
    op.drop_table('cost_syncs')
