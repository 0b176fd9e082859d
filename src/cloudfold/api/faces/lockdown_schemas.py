"""Shapes of `POST /api/orchestrate/lockdown` (seed 001) and its restore."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from cloudfold.db.models import Lockdown, Resource
from cloudfold.domain.budgets.lockdown import CONFIRMATION, DEFAULT_PROTECT_LABEL, Preview
from cloudfold.domain.budgets.scope import Scope
from cloudfold.domain.inputs import PlainText


class LockdownIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    confirm: str | None = Field(default=None, max_length=32,
                                description=f'must be "{CONFIRMATION}" (not needed for a dry run)')
    dry_run: bool = Field(False, description="list what would stop; change nothing")
    scope: str = Field("all", description="all | provider | account | tag")
    provider: str | None = None
    account_id: int | None = None
    tag_key: str | None = Field(default=None, max_length=128)
    tag_value: str | None = Field(default=None, max_length=256)
    protect_label: str = Field(DEFAULT_PROTECT_LABEL, description="machines with this tag/label keep running")
    reason: PlainText | None = Field(default=None, max_length=500)

    def target(self) -> Scope:
        return Scope(self.scope, self.provider, self.account_id, self.tag_key, self.tag_value)


class MachineOut(BaseModel):
    resource_id: int
    name: str
    provider: str

    @classmethod
    def of(cls, r: Resource) -> MachineOut:
        return cls(resource_id=r.id, name=r.name, provider=r.provider)


class PreviewOut(BaseModel):
    dry_run: bool = True
    scope: dict[str, Any]
    would_stop: list[MachineOut]
    protected: list[MachineOut]

    @classmethod
    def of(cls, p: Preview) -> PreviewOut:
        return cls(scope=p.scope.shown(), would_stop=[MachineOut.of(r) for r in p.would_stop],
                   protected=[MachineOut.of(r) for r in p.protected])


class LockdownOut(BaseModel):
    id: int
    dry_run: bool = False
    status: str = Field(description="running | done | interrupted (its process died mid-run: "
                        "`stopped` is what it did stop) | restoring | restored")
    scope: dict[str, Any]
    protect_label: str
    reason: str | None
    stopped: list[int] = Field(description="the machines it stopped (restore starts these)")
    results: list[dict[str, Any]]
    created_at: datetime
    restored_at: datetime | None

    @classmethod
    def of(cls, lock: Lockdown) -> LockdownOut:
        return cls(id=lock.id, status=lock.status, scope=lock.scope, protect_label=lock.protect_label,
                   reason=lock.reason, stopped=lock.resource_ids, results=lock.results, created_at=lock.created_at,
                   restored_at=lock.restored_at)
