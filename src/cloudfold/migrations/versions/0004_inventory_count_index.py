"""inventory: indexes for list counts and the dashboard's recent activity

A list's total counts live records of some kinds, often of one provider and status; with
``vanished`` in the index next to ``kind`` those counts read the index alone. The
dashboard's ten most recently changed records come from an index on ``updated_at``.

Revision ID: 0004
Revises: 0003
"""
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_resources_kind_vanished_provider_status', 'resources',
                    ['kind', 'vanished', 'provider', 'status'])
    op.create_index('ix_resources_updated_at', 'resources', ['updated_at'])


def downgrade() -> None:
    op.drop_index('ix_resources_updated_at', table_name='resources')
    op.drop_index('ix_resources_kind_vanished_provider_status', table_name='resources')
