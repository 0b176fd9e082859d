"""workers: process heartbeats; tasks, idempotency records and half-made objects name their process (issue 9)

Revision ID: 0007
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa
import cloudfold.db.base


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('workers',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('pid', sa.Integer(), nullable=False),
    sa.Column('started_at', cloudfold.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('heartbeat_at', cloudfold.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_workers'))
    )
    with op.batch_alter_table('workers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_workers_heartbeat_at'), ['heartbeat_at'], unique=False)
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('worker_id', sa.String(length=36), nullable=True))
        batch_op.create_index(batch_op.f('ix_tasks_worker_id'), ['worker_id'], unique=False)
    with op.batch_alter_table('idempotency_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('worker_id', sa.String(length=36), nullable=True))
    with op.batch_alter_table('cloud_objects', schema=None) as batch_op:
        batch_op.add_column(sa.Column('worker_id', sa.String(length=36), nullable=True))
        batch_op.create_index(batch_op.f('ix_cloud_objects_worker_id'), ['worker_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('cloud_objects', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cloud_objects_worker_id'))
        batch_op.drop_column('worker_id')
    with op.batch_alter_table('idempotency_records', schema=None) as batch_op:
        batch_op.drop_column('worker_id')
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tasks_worker_id'))
        batch_op.drop_column('worker_id')
    with op.batch_alter_table('workers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_workers_heartbeat_at'))
    op.drop_table('workers')
