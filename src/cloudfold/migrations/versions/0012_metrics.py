"""metrics: raw samples, rollups (5 min, 1 h) and the sampling schedule (issue 10, package B)

Revision ID: 0012
Revises: 0011
"""
import sqlalchemy as sa
from alembic import op

from cloudfold.db.base import UTCDateTime

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'metric_samples',
        sa.Column('resource_id', sa.Integer(), nullable=False),
        sa.Column('time', UTCDateTime(), nullable=False),
        sa.Column('cpu_percent', sa.Float(), nullable=True),
        sa.Column('cpu_time_ns', sa.BigInteger(), nullable=True),
        sa.Column('mem_bytes', sa.BigInteger(), nullable=True),
        sa.Column('mem_percent', sa.Float(), nullable=True),
        sa.Column('mem_limit_bytes', sa.BigInteger(), nullable=True),
        sa.Column('net_in_bytes', sa.BigInteger(), nullable=True),
        sa.Column('net_out_bytes', sa.BigInteger(), nullable=True),
        sa.Column('disk_read_bytes', sa.BigInteger(), nullable=True),
        sa.Column('disk_write_bytes', sa.BigInteger(), nullable=True),
        sa.Column('net_in_rate', sa.Float(), nullable=True),
        sa.Column('net_out_rate', sa.Float(), nullable=True),
        sa.Column('disk_read_rate', sa.Float(), nullable=True),
        sa.Column('disk_write_rate', sa.Float(), nullable=True),
        sa.Column('seconds', sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(['resource_id'], ['resources.id'], name=op.f('fk_metric_samples_resource_id_resources'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('resource_id', 'time', name=op.f('pk_metric_samples')),
        sqlite_with_rowid=False,
    )
    op.create_table(
        'metric_rollups',
        sa.Column('resource_id', sa.Integer(), nullable=False),
        sa.Column('step', sa.Integer(), nullable=False),
        sa.Column('bucket', sa.BigInteger(), nullable=False),
        sa.Column('n', sa.SmallInteger(), nullable=False),
        sa.Column('cpu_n', sa.SmallInteger(), nullable=False),
        sa.Column('cpu_sum', sa.BigInteger(), nullable=True),
        sa.Column('cpu_min', sa.Integer(), nullable=True),
        sa.Column('cpu_max', sa.Integer(), nullable=True),
        sa.Column('mem_n', sa.SmallInteger(), nullable=False),
        sa.Column('mem_sum', sa.BigInteger(), nullable=True),
        sa.Column('mem_min', sa.BigInteger(), nullable=True),
        sa.Column('mem_max', sa.BigInteger(), nullable=True),
        sa.Column('mem_pct_n', sa.SmallInteger(), nullable=False),
        sa.Column('mem_pct_sum', sa.BigInteger(), nullable=True),
        sa.Column('seconds', sa.Float(), nullable=False),
        sa.Column('net_in', sa.BigInteger(), nullable=False),
        sa.Column('net_out', sa.BigInteger(), nullable=False),
        sa.Column('disk_read', sa.BigInteger(), nullable=False),
        sa.Column('disk_write', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['resource_id'], ['resources.id'], name=op.f('fk_metric_rollups_resource_id_resources'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('resource_id', 'step', 'bucket', name=op.f('pk_metric_rollups')),
        sqlite_with_rowid=False,
    )
    op.create_table(
        'metric_sources',
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('next_due_at', UTCDateTime(), nullable=False),
        sa.Column('last_sampled_at', UTCDateTime(), nullable=True),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('last_error', sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_metric_sources_account_id_accounts'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('account_id', name=op.f('pk_metric_sources')),
    )


def downgrade() -> None:
    op.drop_table('metric_sources')
    op.drop_table('metric_rollups')
    op.drop_table('metric_samples')
