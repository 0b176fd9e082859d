"""Shapes of the monitor API (/api/monitors) and of seed 000's monitor and domain views."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from cloudfold.domain.inputs.types import FreeForm, PlainText


class MonitorIn(BaseModel):
    kind: str = Field(description="http | tcp | ping | ssh | dns")
    target: str = Field(description="http: a URL; tcp: host:port; ping: host; ssh: host[:port]; dns: the name to look up")
    name: PlainText | None = Field(None, max_length=200)
    config: FreeForm | None = Field(None, description=(
        "http: method (GET|HEAD), keyword, accepted_statuses ('200-399'), verify_tls (true), wake_on_demand; "
        "dns: record_type (A, AAAA, CNAME, MX, TXT, NS, …), expected, server (host[:port]); others: none"))
    interval_seconds: int = Field(60, description="from monitor_min_interval_seconds (20) to 86400")
    timeout_seconds: float = Field(10.0, description="0.5 to 60, at most the interval")
    retries: int = Field(1, description="failed re-checks before the monitor is declared down (0-10)")
    enabled: bool = True


class MonitorPatch(BaseModel):
    name: PlainText | None = Field(None, max_length=200)
    target: str | None = None
    config: FreeForm | None = None
    interval_seconds: int | None = None
    timeout_seconds: float | None = None
    retries: int | None = None
    enabled: bool | None = None


class UptimeOut(BaseModel):
    percent: float | None = Field(description="good checks / checks in the window; null: no check yet")
    checks: int
    avg_latency_ms: float | None


class MonitorOut(BaseModel):
    id: int
    kind: str
    name: str
    target: str
    config: dict[str, Any]
    interval_seconds: int
    timeout_seconds: float
    retries: int
    enabled: bool
    auto: bool = Field(description="made for an inventory machine (ping/SSH); follows the machine")
    resource_id: int | None
    state: str = Field(description="pending | up | down")
    last_checked_at: datetime | None
    last_latency_ms: float | None
    last_status_code: int | None
    last_error: str | None
    cert_expires_at: datetime | None
    next_due_at: datetime
    created_at: datetime
    updated_at: datetime
    uptime: dict[str, UptimeOut] | None = Field(None, description="24h, 7d, 30d (one monitor's answer only)")


class MonitorPage(BaseModel):
    monitors: list[MonitorOut]
    total: int
    limit: int
    offset: int


class CheckOut(BaseModel):
    time: datetime
    ok: bool
    latency_ms: float | None
    status_code: int | None
    error: str | None


class ChecksOut(BaseModel):
    monitor_id: int
    checks: list[CheckOut]


class UptimeReport(BaseModel):
    monitor_id: int
    uptime: dict[str, UptimeOut]


# -- seed 000 monitor family ------------------------------------------------------------

class VmStatusOut(BaseModel):
    """Seed 000 VmStatus (ip, pingable, sshable, latencyMs, lastCheck), plus which machine."""

    vmId: str
    name: str
    ip: str | None
    pingable: bool
    sshable: bool
    latencyMs: int | None
    lastCheck: datetime | None


class VmStatusList(BaseModel):
    vms: list[VmStatusOut]
    total: int


class EndpointStatusOut(BaseModel):
    """Seed 000 EndpointStatus (url, httpCode, sslValid, sslExpiry, wakeOnDemand), plus its monitor."""

    url: str
    httpCode: int | None
    sslValid: bool | None
    sslExpiry: datetime | None
    wakeOnDemand: bool
    monitorId: int
    name: str
    status: str
    latencyMs: float | None
    lastCheck: datetime | None


class EndpointList(BaseModel):
    endpoints: list[EndpointStatusOut]
    total: int


class OrchestratorOut(BaseModel):
    kind: str = Field(description="dockge, portainer, or the cloudfold.orchestrator label's value")
    vmId: str
    name: str
    host: str
    image: str | None
    running: bool
    urls: list[str]


class OrchestratorList(BaseModel):
    instances: list[OrchestratorOut]
    total: int


class MonitorSummary(BaseModel):
    vms: dict[str, int]
    endpoints: dict[str, int]
    monitors: dict[str, int]
    containers: dict[str, int]
    alerts: dict[str, int]
    checked_at: datetime


class MonitorOverview(BaseModel):
    summary: MonitorSummary
    vmStatus: list[VmStatusOut]
    endpoints: list[EndpointStatusOut]
    orchestrate: list[OrchestratorOut]


class RefreshStarted(BaseModel):
    success: bool = True
    message: str
    task_id: str
    status: str = "pending"
