"""Seed 004 (ProxiCloud) read shapes, its envelope, and the dependency every read uses.

The seed's "Response Format" wraps answers as ``{"success": true, "data": ...}`` while its
examples and client code read the fields at the top level (``containers.total``). Both
readings work: a read answers with the example's fields, ``success: true`` and ``data``
holding the same fields. ``X-Cache-Status`` says ``online`` (read from the engine now) or
``offline`` (the inventory's last known state), as ``/api/health`` does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, create_model
from sqlalchemy.orm import Session

from cloudfold.api.deps import get_runtime, get_session, require
from cloudfold.domain.context import Principal
from cloudfold.runtime import Runtime


def enveloped(model: type[BaseModel]) -> type[BaseModel]:
    """The documented answer: the model's fields, ``success`` and ``data`` (the same fields)."""
    return create_model(f"{model.__name__}Answer", __base__=model, success=(bool, True), data=(model, ...))


def answer(model: type[BaseModel], payload: dict[str, Any], cache: str) -> JSONResponse:
    body = model.model_validate(payload).model_dump(mode="json", by_alias=True)
    return JSONResponse({**body, "success": True, "data": body}, headers={"X-Cache-Status": cache})


@dataclass
class Reader:
    """What every seed 004 read needs (a session, the runtime, a caller with the read scope),
    and the one way it answers."""

    session: Session
    runtime: Runtime
    principal: Principal

    def answer(self, model: type[BaseModel], read: Callable[..., Any], *args: Any,
               shape: Callable[[Any], dict[str, Any]] | None = None) -> JSONResponse:
        """Run the domain's read; ``shape`` turns its figures into the seed's object."""
        out = read(self.session, self.runtime, self.principal, *args)
        return answer(model, shape(out.data) if shape else out.data, out.cache)


def reader(session: Session = Depends(get_session), runtime: Runtime = Depends(get_runtime),
           principal: Principal = Depends(require("read"))) -> Reader:
    return Reader(session, runtime, principal)


CACHE_HEADER = {"X-Cache-Status": {"description": "online: read from the engine now; offline: last known state",
                                   "schema": {"type": "string", "enum": ["online", "offline"]}}}
OK = {200: {"headers": CACHE_HEADER}}


class ContainerSummary(BaseModel):
    vmid: int
    name: str
    status: str
    template: str | None = Field(description="Template id of the container's image, when it is one")
    cpu: float | None = Field(description="CPU cores (its limit; else the host's)")
    memory: int | None = Field(description="Memory in MB (its limit; else the host's)")
    disk: int | None = Field(description="Root filesystem size in bytes (image + writable layer)")
    uptime: int
    cpu_usage: float = Field(description="Percent, 100 = one core busy")
    memory_usage: int
    network_in: int
    network_out: int
    ip_address: str | None


class ContainerList(BaseModel):
    containers: list[ContainerSummary]
    total: int
    running: int
    stopped: int


class ContainerConfig(BaseModel):
    cores: float | None
    memory: int | None
    swap: int
    rootfs: str
    net0: str
    onboot: bool
    features: str
    hostname: str | None
    image: str | None


class ContainerNetwork(BaseModel):
    in_: int = Field(alias="in")
    out: int


class ContainerCurrent(BaseModel):
    status: str
    cpu_usage: float
    memory_usage: int
    memory_total: int | None
    disk_usage: int | None
    disk_total: int | None
    uptime: int
    network: ContainerNetwork
    pid: int | None
    sampled_at: str | None = Field(description="When the usage figures were sampled")
    last_synced: datetime | None


class ContainerDetail(BaseModel):
    vmid: int
    name: str
    status: str
    template: str | None
    config: ContainerConfig
    current: ContainerCurrent
    ip_address: str | None
    created_at: int


class GeneratedName(BaseModel):
    name: str
    counter: int


class SearchHit(BaseModel):
    vmid: int
    name: str
    status: str
    ip_address: str | None
    hostname: str | None


class SearchResults(BaseModel):
    query: str
    results: list[SearchHit]
    total: int


class NodeInfo(BaseModel):
    node_name: str | None
    version: str | None
    uptime: int | None
    cpu_cores: int | None
    total_memory: int | None = Field(description="Bytes")
    proxicloud_version: str
    engine: str | None


class Counts(BaseModel):
    total: int
    running: int
    stopped: int
    paused: int


class CpuUse(BaseModel):
    used: float | None = Field(description="Percent of the host's cores the containers use")
    total: int | None


class Usage(BaseModel):
    used: int | None
    total: int | None
    percent: float | None


class Resources(BaseModel):
    cpu: CpuUse
    memory: Usage
    storage: Usage


class Node(BaseModel):
    name: str | None
    version: str | None
    uptime: int | None
    cpu_cores: int | None
    load_average: list[float] | None


class Activity(BaseModel):
    timestamp: int
    action: str
    vmid: int
    name: str
    details: str | None = None


class DashboardSummary(BaseModel):
    containers: Counts
    resources: Resources
    node: Node
    recent_activity: list[Activity]
