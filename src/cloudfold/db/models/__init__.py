"""Every model, imported so that Base.metadata knows all tables (Alembic reads it)."""

from cloudfold.db.models.accounts import Account
from cloudfold.db.models.alerts import Alert, AlertChannel, AlertDelivery, AlertRule, AlertState
from cloudfold.db.models.audit import AuditEvent
from cloudfold.db.models.autoscaling import AutoscalingActivity, AutoscalingGroup
from cloudfold.db.models.cost_syncs import CostSync
from cloudfold.db.models.budgets import BudgetDecision, BudgetMark, BudgetRule, Lockdown
from cloudfold.db.models.caches import CacheSecret
from cloudfold.db.models.costs import CostRecord
from cloudfold.db.models.idempotency import IdempotencyRecord
from cloudfold.db.models.invitations import Invitation, RevokedToken
from cloudfold.db.models.localcloud import CloudObject
from cloudfold.db.models.loadbalancers import GatewayRoute, LbTarget, LoadBalancer  # issue 13
from cloudfold.db.models.metrics import MetricRollup, MetricSample, MetricSource
from cloudfold.db.models.monitors import Monitor, MonitorCheck
from cloudfold.db.models.outbox import OutboxMessage
from cloudfold.db.models.quotas import QuotaDefault, QuotaOverride
from cloudfold.db.models.resource_counts import ResourceCount
from cloudfold.db.models.resources import Resource, ResourceAction, SettingValue
from cloudfold.db.models.tasks import Task, TaskLog
from cloudfold.db.models.users import ApiKey, PasswordResetToken, User
from cloudfold.db.models.workers import Worker

__all__ = [
    "Account",
    "Alert", "AlertChannel", "AlertDelivery", "AlertRule", "AlertState",
    "CacheSecret",
    "CloudObject",
    "GatewayRoute", "LbTarget", "LoadBalancer",
    "MetricRollup",
    "MetricSample",
    "MetricSource",
    "Monitor",
    "MonitorCheck",
    "Resource",
    "ResourceCount",
    "ResourceAction",
    "SettingValue",
    "ApiKey",
    "AuditEvent",
    "AutoscalingActivity", "AutoscalingGroup",
    "CostRecord",
    "CostSync",
    "BudgetDecision", "BudgetMark", "BudgetRule", "Lockdown",
    "IdempotencyRecord",
    "Invitation",
    "RevokedToken",
    "OutboxMessage",
    "PasswordResetToken",
    "QuotaDefault",
    "QuotaOverride",
    "Task",
    "TaskLog",
    "User",
    "Worker",
]
