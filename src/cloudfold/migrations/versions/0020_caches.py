"""cache_secrets: a seed 003 cache's Redis password, sealed (issue 13)

Revision ID: 0020
Revises: 0017
"""
import sqlalchemy as sa
from alembic import op

import cloudfold.db.base

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'cache_secrets',
        sa.Column('cache_id', sa.String(length=36), nullable=False),
        sa.Column('password_sealed', sa.Text(), nullable=False),
        sa.Column('set_at', cloudfold.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['cache_id'], ['cloud_objects.id'], name=op.f('fk_cache_secrets_cache_id_cloud_objects'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('cache_id', name=op.f('pk_cache_secrets')),
    )


def downgrade() -> None:
    op.drop_table('cache_secrets')
