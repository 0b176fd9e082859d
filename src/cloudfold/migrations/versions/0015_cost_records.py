"""cost_records: what was spent per day, service, account and machine, from where (issue 11)

Revision ID: 0015
Revises: 0014
"""
import sqlalchemy as sa
from alembic import op

from cloudfold.db.base import UTCDateTime

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'cost_records',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=True),
        sa.Column('resource_id', sa.Integer(), nullable=True),
        sa.Column('provider', sa.String(length=32), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('service', sa.String(length=128), nullable=False),
        sa.Column('source', sa.String(length=16), nullable=False),
        sa.Column('amount_micros', sa.BigInteger(), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('priced', sa.Boolean(), nullable=False),
        sa.Column('owner_id', sa.Integer(), nullable=True),
        sa.Column('dedupe_key', sa.String(length=255), nullable=True),
        sa.Column('detail', sa.JSON(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_cost_records_account_id_accounts'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['resource_id'], ['resources.id'], name=op.f('fk_cost_records_resource_id_resources'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_cost_records')),
        sa.UniqueConstraint('dedupe_key', name=op.f('uq_cost_records_dedupe_key')),
        sqlite_autoincrement=True,
    )
    op.create_index('ix_cost_records_day_account', 'cost_records', ['day', 'account_id'])
    op.create_index('ix_cost_records_account_day', 'cost_records', ['account_id', 'day'])
    op.create_index(op.f('ix_cost_records_resource_id'), 'cost_records', ['resource_id'])
    op.create_index(op.f('ix_cost_records_owner_id'), 'cost_records', ['owner_id'])


def downgrade() -> None:
    op.drop_table('cost_records')
