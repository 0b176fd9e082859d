"""autoscaling: groups and their activity history (issue 13, package B)

Revision ID: 0019
Revises: 0017
"""
from alembic import op
import sqlalchemy as sa
import cloudfold.db.base


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('autoscaling_groups',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=48), nullable=False),
    sa.Column('template', sa.JSON(), nullable=False),
    sa.Column('min_size', sa.Integer(), nullable=False),
    sa.Column('max_size', sa.Integer(), nullable=False),
    sa.Column('desired_capacity', sa.Integer(), nullable=False),
    sa.Column('load_balancer_id', sa.String(length=36), nullable=True),
    sa.Column('target_port', sa.Integer(), nullable=True),
    sa.Column('policy', sa.JSON(), nullable=True),
    sa.Column('health_check_grace_s', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('keep_instances', sa.Boolean(), nullable=False),
    sa.Column('next_number', sa.Integer(), nullable=False),
    sa.Column('last_scaled_at', cloudfold.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('schedule_applied_at', cloudfold.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('lease_until', cloudfold.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', cloudfold.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', cloudfold.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_autoscaling_groups_owner_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_autoscaling_groups'))
    )
    with op.batch_alter_table('autoscaling_groups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_autoscaling_groups_owner_id'), ['owner_id'], unique=False)

    op.create_table('autoscaling_activities',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('group_id', sa.String(length=36), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('cause', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('instance_id', sa.String(length=36), nullable=True),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('started_at', cloudfold.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', cloudfold.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['group_id'], ['autoscaling_groups.id'], name=op.f('fk_autoscaling_activities_group_id_autoscaling_groups'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_autoscaling_activities')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('autoscaling_activities', schema=None) as batch_op:
        batch_op.create_index('ix_autoscaling_activities_group', ['group_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_autoscaling_activities_owner_id'), ['owner_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('autoscaling_activities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_autoscaling_activities_owner_id'))
        batch_op.drop_index('ix_autoscaling_activities_group')

    op.drop_table('autoscaling_activities')
    with op.batch_alter_table('autoscaling_groups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_autoscaling_groups_owner_id'))

    op.drop_table('autoscaling_groups')
