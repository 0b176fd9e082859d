"""load balancers, their targets and the gateway's routes (issue 13)

Revision ID: 0018
Revises: 0017
"""
from alembic import op
import sqlalchemy as sa
import cloudfold.db.base


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('gateway_routes',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=63), nullable=False),
    sa.Column('prefix', sa.String(length=255), nullable=False),
    sa.Column('target', sa.String(length=2048), nullable=False),
    sa.Column('target_kind', sa.String(length=16), nullable=False),
    sa.Column('target_id', sa.String(length=36), nullable=True),
    sa.Column('target_port', sa.Integer(), nullable=True),
    sa.Column('target_host', sa.String(length=255), nullable=True),
    sa.Column('strip_prefix', sa.Boolean(), nullable=False),
    sa.Column('created_at', cloudfold.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_gateway_routes_owner_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gateway_routes')),
    sa.UniqueConstraint('prefix', name=op.f('uq_gateway_routes_prefix'))
    )
    with op.batch_alter_table('gateway_routes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gateway_routes_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_gateway_routes_target_id'), ['target_id'], unique=False)

    op.create_table('load_balancers',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=63), nullable=False),
    sa.Column('port', sa.Integer(), nullable=False),
    sa.Column('algorithm', sa.String(length=16), nullable=False),
    sa.Column('health_check', sa.JSON(), nullable=False),
    sa.Column('vpc_id', sa.String(length=36), nullable=True),
    sa.Column('created_at', cloudfold.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', cloudfold.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_load_balancers_owner_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_load_balancers')),
    sa.UniqueConstraint('owner_id', 'name', name='uq_load_balancers_owner_name'),
    sa.UniqueConstraint('port', name=op.f('uq_load_balancers_port'))
    )
    with op.batch_alter_table('load_balancers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_load_balancers_owner_id'), ['owner_id'], unique=False)

    op.create_table('lb_targets',
    sa.Column('lb_id', sa.String(length=36), nullable=False),
    sa.Column('instance_id', sa.String(length=36), nullable=False),
    sa.Column('port', sa.Integer(), nullable=False),
    sa.Column('created_at', cloudfold.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['cloud_objects.id'], name=op.f('fk_lb_targets_instance_id_cloud_objects'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['lb_id'], ['load_balancers.id'], name=op.f('fk_lb_targets_lb_id_load_balancers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('lb_id', 'instance_id', name=op.f('pk_lb_targets'))
    )
    with op.batch_alter_table('lb_targets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lb_targets_instance_id'), ['instance_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('lb_targets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lb_targets_instance_id'))

    op.drop_table('lb_targets')
    with op.batch_alter_table('load_balancers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_load_balancers_owner_id'))

    op.drop_table('load_balancers')
    with op.batch_alter_table('gateway_routes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_gateway_routes_target_id'))
        batch_op.drop_index(batch_op.f('ix_gateway_routes_owner_id'))

    op.drop_table('gateway_routes')
