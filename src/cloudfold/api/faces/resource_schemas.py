"""Resource shapes: seed 001 (/api/resources) and seed 002 (/inventory)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import Row

from cloudfold.db.models import Resource
from cloudfold.domain.inputs import FreeForm, PlainText, StrMap
from cloudfold.domain.inventory import COMPUTE, vmid_of
from cloudfold.drivers.base import KINDS

Kind = Literal[KINDS]  # type: ignore[valid-type]


# a million an hour: far above any machine, and the per-group sums in micro-units
# (`resource_counts.cost_micros`, a 64-bit integer) stay exact for a million such resources
MAX_COST_PER_HOUR = 1_000_000


class ResourceOut(BaseModel):  # seed 001
    id: int
    provider_id: str | None
    provider_type: str
    resource_type: str
    external_id: str
    name: str
    region: str | None
    status: str
    metadata: dict[str, Any]
    tags: dict[str, Any]
    cost_per_hour: float | None
    manual: bool
    vanished: bool
    created_at: datetime
    updated_at: datetime
    last_synced: datetime | None
    vmid: int | None = Field(default=None, description="Seed 004's number for machines (vm, container)")


class ResourceCreate(BaseModel):
    name: PlainText = Field(min_length=1, max_length=300)
    resource_type: Kind
    provider_id: str | None = Field(default=None, description="Registered provider it lives in (optional)")
    external_id: PlainText | None = Field(default=None, max_length=300)
    region: PlainText | None = Field(default=None, max_length=64)
    status: PlainText | None = Field(default=None, max_length=32)
    metadata: FreeForm | None = None
    tags: StrMap | None = None
    cost_per_hour: float | None = Field(default=None, ge=0, le=MAX_COST_PER_HOUR,
                                        description="What the resource costs an hour, in the account's currency")


class ResourceUpdate(BaseModel):
    name: PlainText | None = Field(default=None, min_length=1, max_length=300)
    region: PlainText | None = Field(default=None, max_length=64)
    status: PlainText | None = Field(default=None, max_length=32)
    metadata: FreeForm | None = None
    tags: StrMap | None = None
    cost_per_hour: float | None = Field(default=None, ge=0, le=MAX_COST_PER_HOUR,
                                        description="What the resource costs an hour, in the account's currency")


class ActionRequest(BaseModel):
    action: Literal["stop", "start", "terminate", "health_check", "reboot", "reset"]


class ActionOut(BaseModel):
    success: bool = True
    action: str
    resource_id: int
    status_before: str
    status: str
    message: str


class ActionLogOut(BaseModel):
    id: int
    action: str
    result: str
    status_before: str | None
    status_after: str | None
    message: str | None
    actor: str
    via: str | None
    request_id: str | None
    time: datetime


class InventoryItem(BaseModel):  # seed 002
    id: int
    resource_id: str
    resource_name: str
    resource_type: str
    provider: str
    region: str | None
    status: str
    metadata: dict[str, Any]
    created_at: datetime
    last_synced: datetime | None


def resource_out(r: Resource) -> ResourceOut:
    return ResourceOut(
        id=r.id, provider_id=r.account.slug if r.account else None, provider_type=r.provider, resource_type=r.kind,
        external_id=r.external_id, name=r.name, region=r.region, status=r.status, metadata=r.meta or {},
        tags=r.tags or {}, cost_per_hour=r.cost_per_hour, manual=r.manual, vanished=r.vanished,
        created_at=r.created_at, updated_at=r.updated_at, last_synced=r.last_synced,
        vmid=vmid_of(r) if r.kind in COMPUTE else None,
    )


def inventory_item(r: Resource | Row) -> dict[str, Any]:
    """`InventoryItem`'s fields, from a record or a plain row of `inventory.ITEM_COLUMNS`. A
    dict, not the model: a listing serialises a page of them at once (`pydantic_core.to_json`)
    without validating again what the database's columns already guarantee."""
    meta = dict(r.meta or {})
    meta.setdefault("tags", r.tags or {})
    if r.cost_per_hour is not None:
        meta.setdefault("cost_per_hour", r.cost_per_hour)
    return {"id": r.id, "resource_id": r.external_id, "resource_name": r.name, "resource_type": r.kind,
            "provider": r.provider, "region": r.region, "status": r.status, "metadata": meta,
            "created_at": r.created_at, "last_synced": r.last_synced}
