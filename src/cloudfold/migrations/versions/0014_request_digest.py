"""cloud_objects: the Idempotency-Key request that made each object

A create retried after its process died (between making the object and storing the answer)
finds the object its first attempt made, by this digest, instead of making a second one
(domain/replay.py).

Revision ID: 0014
Revises: 0013
"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('cloud_objects') as batch:
        batch.add_column(sa.Column('request_digest', sa.String(length=64), nullable=True))
        batch.create_index('ix_cloud_objects_request_digest', ['request_digest'])


def downgrade() -> None:
    with op.batch_alter_table('cloud_objects') as batch:
        batch.drop_index('ix_cloud_objects_request_digest')
        batch.drop_column('request_digest')
