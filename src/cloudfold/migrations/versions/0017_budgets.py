"""budgets: rules, enforcement decisions, grace-period marks, lockdowns (issue 11)

Revision ID: 0017
Revises: 0016
"""
from alembic import op
import sqlalchemy as sa
import cloudfold.db.base


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('lockdowns',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.JSON(), nullable=False),
    sa.Column('protect_label', sa.String(length=128), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('resource_ids', sa.JSON(), nullable=False),
    sa.Column('results', sa.JSON(), nullable=False),
    sa.Column('created_at', cloudfold.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('restored_at', cloudfold.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lockdowns')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('lockdowns', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lockdowns_owner_id'), ['owner_id'], unique=False)

    op.create_table('budget_rules',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('scope', sa.String(length=16), nullable=False),
    sa.Column('provider', sa.String(length=32), nullable=True),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('tag_key', sa.String(length=128), nullable=True),
    sa.Column('tag_value', sa.String(length=256), nullable=True),
    sa.Column('period', sa.String(length=16), nullable=False),
    sa.Column('start_day', sa.Integer(), nullable=False),
    sa.Column('amount_micros', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('thresholds', sa.JSON(), nullable=False),
    sa.Column('dry_run', sa.Boolean(), nullable=False),
    sa.Column('grace_seconds', sa.Integer(), nullable=False),
    sa.Column('max_stops', sa.Integer(), nullable=False),
    sa.Column('protect_label', sa.String(length=128), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('next_enforce_at', cloudfold.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_enforced_at', cloudfold.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('enforcing_until', cloudfold.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', cloudfold.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', cloudfold.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_budget_rules_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_budget_rules_owner_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_budget_rules')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('budget_rules', schema=None) as batch_op:
        batch_op.create_index('ix_budget_rules_due', ['enabled', 'next_enforce_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_budget_rules_owner_id'), ['owner_id'], unique=False)

    op.create_table('budget_decisions',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('rule_id', sa.Integer(), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.String(length=36), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('threshold', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=16), nullable=True),
    sa.Column('decision', sa.String(length=24), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=True),
    sa.Column('resource_name', sa.String(length=300), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('dry_run', sa.Boolean(), nullable=False),
    sa.Column('stop_at', cloudfold.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('spent_micros', sa.BigInteger(), nullable=False),
    sa.Column('created_at', cloudfold.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['resource_id'], ['resources.id'], name=op.f('fk_budget_decisions_resource_id_resources'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['rule_id'], ['budget_rules.id'], name=op.f('fk_budget_decisions_rule_id_budget_rules'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_budget_decisions')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('budget_decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_budget_decisions_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index('ix_budget_decisions_rule_period', ['rule_id', 'period_start', 'threshold'], unique=False)
        batch_op.create_index(batch_op.f('ix_budget_decisions_run_id'), ['run_id'], unique=False)

    op.create_table('budget_marks',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('rule_id', sa.Integer(), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.Column('threshold', sa.Integer(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('stop_at', cloudfold.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', cloudfold.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['resource_id'], ['resources.id'], name=op.f('fk_budget_marks_resource_id_resources'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rule_id'], ['budget_rules.id'], name=op.f('fk_budget_marks_rule_id_budget_rules'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_budget_marks')),
    sa.UniqueConstraint('rule_id', 'resource_id', name=op.f('uq_budget_marks_rule_id'))
    )
    with op.batch_alter_table('budget_marks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_budget_marks_resource_id'), ['resource_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('budget_marks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_budget_marks_resource_id'))

    op.drop_table('budget_marks')
    with op.batch_alter_table('budget_decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_budget_decisions_run_id'))
        batch_op.drop_index('ix_budget_decisions_rule_period')
        batch_op.drop_index(batch_op.f('ix_budget_decisions_owner_id'))

    op.drop_table('budget_decisions')
    with op.batch_alter_table('budget_rules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_budget_rules_owner_id'))
        batch_op.drop_index('ix_budget_rules_due')

    op.drop_table('budget_rules')
    with op.batch_alter_table('lockdowns', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lockdowns_owner_id'))

    op.drop_table('lockdowns')
