"""alerts: rules, hysteresis states, alerts, notification channels and the delivery log

Issue 10, package C (domain/alerts). `alert_rules.monitor_id` names a row of package A's
`monitors` table without a foreign key, so this revision does not depend on that one.

Revision ID: 0013
Revises: 0012
"""
from alembic import op
import sqlalchemy as sa
import cloudfold.db.base


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('alert_channels',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('type', sa.String(length=16), nullable=False),
    sa.Column('config', sa.JSON(), nullable=False),
    sa.Column('secret_sealed', sa.Text(), nullable=True),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('last_delivery_at', cloudfold.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_delivery_ok', sa.Boolean(), nullable=True),
    sa.Column('last_error', sa.String(length=300), nullable=True),
    sa.Column('created_at', cloudfold.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', cloudfold.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_channels')),
    sqlite_autoincrement=True
    )
    op.create_table('alert_rules',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=True),
    sa.Column('monitor_id', sa.Integer(), nullable=True),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('severity', sa.String(length=16), nullable=False),
    sa.Column('open_after', sa.Integer(), nullable=False),
    sa.Column('resolve_after', sa.Integer(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('next_eval_at', cloudfold.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('group_notified_at', cloudfold.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', cloudfold.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', cloudfold.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_alert_rules_owner_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_rules')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('alert_rules', schema=None) as batch_op:
        batch_op.create_index('ix_alert_rules_due', ['enabled', 'next_eval_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_alert_rules_owner_id'), ['owner_id'], unique=False)

    op.create_table('alert_deliveries',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=False),
    sa.Column('rule_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', cloudfold.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_error', sa.String(length=300), nullable=True),
    sa.Column('created_at', cloudfold.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', cloudfold.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['channel_id'], ['alert_channels.id'], name=op.f('fk_alert_deliveries_channel_id_alert_channels'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rule_id'], ['alert_rules.id'], name=op.f('fk_alert_deliveries_rule_id_alert_rules'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_deliveries')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('alert_deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_deliveries_channel_id'), ['channel_id'], unique=False)
        batch_op.create_index('ix_alert_deliveries_due', ['status', 'next_attempt_at'], unique=False)

    op.create_table('alerts',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('rule_id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('target_key', sa.String(length=200), nullable=False),
    sa.Column('target_name', sa.String(length=300), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=True),
    sa.Column('monitor_id', sa.Integer(), nullable=True),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('value', sa.Float(), nullable=True),
    sa.Column('detail', sa.String(length=500), nullable=False),
    sa.Column('opened_at', cloudfold.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', cloudfold.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', cloudfold.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_at', cloudfold.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by', sa.String(length=400), nullable=True),
    sa.Column('silenced_until', cloudfold.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('notified_status', sa.String(length=16), nullable=True),
    sa.Column('notified_at', cloudfold.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['rule_id'], ['alert_rules.id'], name=op.f('fk_alerts_rule_id_alert_rules'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alerts')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.create_index('ix_alerts_rule_status', ['rule_id', 'status'], unique=False)
        batch_op.create_index('ix_alerts_status_owner', ['status', 'owner_id'], unique=False)

    op.create_table('alert_states',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('rule_id', sa.Integer(), nullable=False),
    sa.Column('target_key', sa.String(length=200), nullable=False),
    sa.Column('fails', sa.Integer(), nullable=False),
    sa.Column('oks', sa.Integer(), nullable=False),
    sa.Column('memo', sa.JSON(), nullable=False),
    sa.Column('alert_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', cloudfold.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['alert_id'], ['alerts.id'], name=op.f('fk_alert_states_alert_id_alerts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['rule_id'], ['alert_rules.id'], name=op.f('fk_alert_states_rule_id_alert_rules'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_states')),
    sa.UniqueConstraint('rule_id', 'target_key', name=op.f('uq_alert_states_rule_id'))
    )


def downgrade() -> None:
    op.drop_table('alert_states')
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.drop_index('ix_alerts_status_owner')
        batch_op.drop_index('ix_alerts_rule_status')

    op.drop_table('alerts')
    with op.batch_alter_table('alert_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_alert_deliveries_due')
        batch_op.drop_index(batch_op.f('ix_alert_deliveries_channel_id'))

    op.drop_table('alert_deliveries')
    with op.batch_alter_table('alert_rules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_rules_owner_id'))
        batch_op.drop_index('ix_alert_rules_due')

    op.drop_table('alert_rules')
    op.drop_table('alert_channels')
