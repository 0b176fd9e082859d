"""monitors and their check history (issue 10, package A)

`monitors`: a probe of one target on an interval (auto ping/SSH monitors of inventory machines
carry resource_id); `monitor_checks`: one row per check, indexed by (monitor_id, time).

Revision ID: 0011
Revises: 0010
"""
from alembic import op
import sqlalchemy as sa
import cloudfold.db.base


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('monitors',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('resource_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('target', sa.String(length=2048), nullable=False),
    sa.Column('config', sa.JSON(), nullable=False),
    sa.Column('interval_seconds', sa.Integer(), nullable=False),
    sa.Column('timeout_seconds', sa.Float(), nullable=False),
    sa.Column('retries', sa.Integer(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('state', sa.String(length=8), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_checked_at', cloudfold.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_latency_ms', sa.Float(), nullable=True),
    sa.Column('last_status_code', sa.Integer(), nullable=True),
    sa.Column('last_error', sa.String(length=300), nullable=True),
    sa.Column('cert_expires_at', cloudfold.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('next_due_at', cloudfold.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('claimed_due_at', cloudfold.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', cloudfold.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', cloudfold.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_monitors_owner_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['resource_id'], ['resources.id'], name=op.f('fk_monitors_resource_id_resources'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_monitors')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('monitors', schema=None) as batch_op:
        batch_op.create_index('ix_monitors_next_due_at', ['enabled', 'next_due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_monitors_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_monitors_resource_id'), ['resource_id'], unique=False)

    op.create_table('monitor_checks',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('monitor_id', sa.Integer(), nullable=False),
    sa.Column('time', cloudfold.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ok', sa.Boolean(), nullable=False),
    sa.Column('latency_ms', sa.Float(), nullable=True),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('error', sa.String(length=300), nullable=True),
    sa.ForeignKeyConstraint(['monitor_id'], ['monitors.id'], name=op.f('fk_monitor_checks_monitor_id_monitors'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_monitor_checks'))
    )
    with op.batch_alter_table('monitor_checks', schema=None) as batch_op:
        batch_op.create_index('ix_monitor_checks_monitor_time', ['monitor_id', 'time'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('monitor_checks', schema=None) as batch_op:
        batch_op.drop_index('ix_monitor_checks_monitor_time')

    op.drop_table('monitor_checks')
    with op.batch_alter_table('monitors', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_monitors_resource_id'))
        batch_op.drop_index(batch_op.f('ix_monitors_owner_id'))
        batch_op.drop_index('ix_monitors_next_due_at')

    op.drop_table('monitors')
