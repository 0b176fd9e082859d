"""Shapes of the alerting API: rules, channels (secrets never shown), alerts, deliveries, and
seed 001's test and config-status answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from cloudfold.db.models import Alert, AlertChannel, AlertDelivery, AlertRule
from cloudfold.domain.alerts import channels as channel_store
from cloudfold.domain.alerts import signals
from cloudfold.domain.alerts.rules import RuleSpec
from cloudfold.domain.inputs import FreeForm, PlainText, StrMap
from cloudfold.domain.inputs.email import Email

Severity = Literal["info", "warning", "critical"]
ChannelType = Literal["email", "webhook", "apprise"]
RULE_KINDS = "; ".join(f"`{s.kind}`: {s.description}" + (f" (params: {', '.join(p.name for p in s.params)})"
                                                         if s.params else "") for s in signals.SIGNALS.values())


class RuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: PlainText = Field(min_length=1, max_length=200)
    kind: str = Field(description=RULE_KINDS)
    params: FreeForm | None = Field(default=None, description='e.g. {"threshold": 90, "minutes": 5}')
    resource_id: int | None = Field(default=None, description="watch one machine (default: all you may see)")
    monitor_id: int | None = Field(default=None, description="watch one monitor")
    account_id: int | None = Field(default=None, description="watch one cloud account")
    severity: Severity = "warning"
    open_after: int = Field(3, ge=1, le=100, description="failing evaluations before an alert opens")
    resolve_after: int = Field(2, ge=1, le=100, description="good evaluations before it resolves")
    enabled: bool = True

    def spec(self) -> RuleSpec:
        return RuleSpec(**self.model_dump(), given=frozenset(type(self).model_fields))


class RuleUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: PlainText | None = Field(default=None, min_length=1, max_length=200)
    kind: str | None = None
    params: FreeForm | None = None
    resource_id: int | None = None
    monitor_id: int | None = None
    account_id: int | None = None
    severity: Severity | None = None
    open_after: int | None = Field(default=None, ge=1, le=100)
    resolve_after: int | None = Field(default=None, ge=1, le=100)
    enabled: bool | None = None

    def spec(self) -> RuleSpec:
        given = set(self.model_fields_set)
        for name in ("name", "kind", "severity", "open_after", "resolve_after", "enabled"):
            if getattr(self, name) is None:
                given.discard(name)  # null for these means "unchanged"; a target set to null is cleared
        return RuleSpec(**self.model_dump(), given=frozenset(given))


class ParamOut(BaseModel):
    name: str
    min: float
    max: float
    default: float | None = Field(description="null: required")
    integer: bool
    description: str


class KindOut(BaseModel):
    kind: str
    description: str
    params: list[ParamOut]
    targets: list[str] = Field(description="which of resource_id / monitor_id / account_id a rule may name")

    @classmethod
    def of(cls, sig: signals.Signal) -> KindOut:
        return cls(kind=sig.kind, description=sig.description, targets=list(sig.targets),
                   params=[ParamOut(name=p.name, min=p.low, max=p.high, default=p.default, integer=p.integer,
                                    description=p.description) for p in sig.params])


class RuleOut(BaseModel):
    id: int
    owner_id: int
    name: str
    kind: str
    params: dict[str, Any]
    resource_id: int | None
    monitor_id: int | None
    account_id: int | None
    severity: str
    open_after: int
    resolve_after: int
    enabled: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, rule: AlertRule) -> RuleOut:
        return cls.model_validate(rule, from_attributes=True)


class ChannelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: PlainText = Field(min_length=1, max_length=200)
    type: ChannelType
    enabled: bool = True
    to: list[Email] | None = Field(default=None, max_length=20, description="email: recipients")
    url: str | None = Field(default=None, max_length=2000,
                            description="webhook: the URL to POST JSON to; apprise: an Apprise URL (sealed, never shown)")
    headers: StrMap | None = Field(default=None, description="webhook: extra request headers (sealed, never shown)")

    def spec(self) -> channel_store.ChannelSpec:
        return channel_store.ChannelSpec(**self.model_dump())


class ChannelUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: PlainText | None = Field(default=None, min_length=1, max_length=200)
    type: ChannelType | None = None
    enabled: bool | None = None
    to: list[Email] | None = Field(default=None, max_length=20)
    url: str | None = Field(default=None, max_length=2000)
    headers: StrMap | None = None

    def spec(self) -> channel_store.ChannelSpec:
        return channel_store.ChannelSpec(**self.model_dump())


class ChannelOut(BaseModel):
    id: int
    name: str
    type: str
    enabled: bool
    shared: bool = Field(description="made by an admin: every alert goes through it")
    config: dict[str, Any] = Field(description="what may be shown: email recipients")
    secrets_set: list[str] = Field(description="sealed fields that are set (their values are never shown)")
    last_delivery_at: datetime | None
    last_delivery_ok: bool | None
    last_error: str | None
    created_at: datetime

    @classmethod
    def of(cls, c: AlertChannel) -> ChannelOut:
        sealed = ["url"] if c.type in ("webhook", "apprise") else []
        return cls(id=c.id, name=c.name, type=c.type, enabled=c.enabled, shared=c.owner_id is None,
                   config=c.config or {}, secrets_set=sealed, last_delivery_at=c.last_delivery_at,
                   last_delivery_ok=c.last_delivery_ok, last_error=c.last_error, created_at=c.created_at)


class AlertOut(BaseModel):
    id: int
    rule_id: int
    rule: str
    kind: str
    severity: str
    status: str
    target: str
    target_key: str
    resource_id: int | None
    monitor_id: int | None
    account_id: int | None
    value: float | None
    message: str
    opened_at: datetime
    last_seen_at: datetime
    resolved_at: datetime | None
    acknowledged: bool
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    silenced_until: datetime | None

    @classmethod
    def of(cls, a: Alert, rule: AlertRule) -> AlertOut:
        return cls(id=a.id, rule_id=a.rule_id, rule=rule.name, kind=rule.kind, severity=rule.severity,
                   status=a.status, target=a.target_name, target_key=a.target_key, resource_id=a.resource_id,
                   monitor_id=a.monitor_id, account_id=a.account_id, value=a.value, message=a.detail,
                   opened_at=a.opened_at, last_seen_at=a.last_seen_at, resolved_at=a.resolved_at,
                   acknowledged=a.acknowledged_at is not None, acknowledged_at=a.acknowledged_at,
                   acknowledged_by=a.acknowledged_by, silenced_until=a.silenced_until)


class AlertList(BaseModel):
    alerts: list[AlertOut]
    count: int


class SilenceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    minutes: int = Field(ge=1, le=43200, description="how long no notification goes out for this alert")


class TestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channel_id: int | None = Field(default=None, description="one channel; default: every channel you may change")


class TestResultOut(BaseModel):
    channel_id: int
    name: str
    type: str
    success: bool
    error: str | None


class TestOut(BaseModel):
    success: bool = Field(description="every channel tried accepted the test")
    message: str
    sent: int
    failed: int
    results: list[TestResultOut]


class ChannelStatus(BaseModel):
    id: int
    name: str
    type: str
    enabled: bool
    shared: bool
    last_delivery_at: datetime | None
    last_delivery_ok: bool | None
    last_error: str | None


class ConfigStatusOut(BaseModel):
    configured: bool = Field(description="at least one enabled channel")
    email: bool
    webhook: bool
    apprise: bool
    channels: list[ChannelStatus]


class DeliveryOut(BaseModel):
    id: int
    channel_id: int
    rule_id: int | None
    kind: str
    subject: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None

    @classmethod
    def of(cls, d: AlertDelivery) -> DeliveryOut:
        return cls(id=d.id, channel_id=d.channel_id, rule_id=d.rule_id, kind=d.kind, subject=d.subject,
                   status=d.status, attempts=d.attempts,
                   next_attempt_at=d.next_attempt_at if d.status == "pending" else None, last_error=d.last_error,
                   created_at=d.created_at, sent_at=d.sent_at)
