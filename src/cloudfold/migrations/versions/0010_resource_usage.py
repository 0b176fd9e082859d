"""resources: usage samples kept apart from the provider's own metadata

An engine's last stats sample and disk sizes (seed 004's live figures) lived inside
``resources.metadata``, which every sync, action and refresh replaces with what the provider
reports, erasing them. They get a column of their own, written only by a read that samples.

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('resources') as batch:
        batch.add_column(sa.Column('usage', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('resources') as batch:
        batch.drop_column('usage')
