"""lb_targets: each target's health as the proxy last saw it, and since when

The supervisor job records target states (domain/loadbalancers/health.py) so that the
monitoring (the `lb_target_unhealthy` alert rule kind) reads them from the database.

Revision ID: 0022
Revises: 0021
"""
import sqlalchemy as sa
from alembic import op

from cloudfold.db.base import UTCDateTime

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('lb_targets') as batch:
        batch.add_column(sa.Column('state', sa.String(length=12), nullable=False, server_default='unknown'))
        batch.add_column(sa.Column('state_at', UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('lb_targets') as batch:
        batch.drop_column('state_at')
        batch.drop_column('state')
