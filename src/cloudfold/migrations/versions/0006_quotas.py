"""quotas: admin-set default limits and per-user overrides (issue 8)

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa
import cloudfold.db.base


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('quota_defaults',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.Column('updated_at', cloudfold.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_quota_defaults'))
    )
    op.create_table('quota_overrides',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.Column('updated_at', cloudfold.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_quota_overrides_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'name', name=op.f('pk_quota_overrides'))
    )


def downgrade() -> None:
    op.drop_table('quota_overrides')
    op.drop_table('quota_defaults')
