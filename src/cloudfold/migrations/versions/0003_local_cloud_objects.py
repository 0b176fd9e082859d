"""local cloud objects: seed 003 VPCs, subnets, volumes and instances (issue 4)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 18:05:05.783662
"""
from alembic import op
import sqlalchemy as sa
import cloudfold.db.base


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('cloud_objects',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('vpc_id', sa.String(length=36), nullable=True),
    sa.Column('subnet_id', sa.String(length=36), nullable=True),
    sa.Column('spec', sa.JSON(), nullable=False),
    sa.Column('created_at', cloudfold.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['resource_id'], ['resources.id'], name=op.f('fk_cloud_objects_resource_id_resources'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cloud_objects')),
    sa.UniqueConstraint('resource_id', name=op.f('uq_cloud_objects_resource_id'))
    )
    with op.batch_alter_table('cloud_objects', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cloud_objects_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_cloud_objects_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cloud_objects_subnet_id'), ['subnet_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cloud_objects_vpc_id'), ['vpc_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('cloud_objects', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cloud_objects_vpc_id'))
        batch_op.drop_index(batch_op.f('ix_cloud_objects_subnet_id'))
        batch_op.drop_index(batch_op.f('ix_cloud_objects_owner_id'))
        batch_op.drop_index(batch_op.f('ix_cloud_objects_kind'))

    op.drop_table('cloud_objects')
