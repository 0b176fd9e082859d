"""Health: /health (seeds 000, 001), /health/live and /health/ready (seed 003; also 000's
readiness), /api/health (seed 004, with X-Cache-Status)."""

from __future__ import annotations

import time
from datetime import datetime, timezone

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from cloudfold import __version__
from cloudfold.api.deps import get_runtime, public_limit
from cloudfold.domain import health
from cloudfold.runtime import Runtime

# Probes (load balancers, orchestrators) are not rate limited: they are cheap and frequent,
# and a 429 would take a healthy replica out of rotation. /api/health is an API read and is.
router = APIRouter(tags=["health"])


class HealthOut(BaseModel):
    status: str
    database: str
    version: str
    timestamp: datetime


class LiveOut(BaseModel):
    status: str


class ReadyOut(BaseModel):
    status: str
    checks: dict[str, str]
    errors: dict[str, str] = {}
    time: datetime


class NodeHealthOut(BaseModel):
    status: str
    proxmox_connected: bool
    database_connected: bool
    timestamp: int


def _now() -> datetime:
    return datetime.now(timezone.utc)


@router.get("/health", response_model=HealthOut, summary="Health with database connectivity",
            responses={503: {"model": HealthOut}})
async def get_health(runtime: Runtime = Depends(get_runtime)):
    db = await run_in_threadpool(health.check_database, runtime.engine)
    body = HealthOut(status="healthy" if db.ok else "unhealthy", database="connected" if db.ok else "disconnected",
                     version=__version__, timestamp=_now())
    return JSONResponse(body.model_dump(mode="json"), status_code=200 if db.ok else 503)


@router.get("/health/live", response_model=LiveOut, summary="Liveness: the process is running")
async def live() -> LiveOut:
    return LiveOut(status="ok")


@router.get("/health/ready", response_model=ReadyOut, summary="Readiness: a check per configured dependency",
            responses={503: {"model": ReadyOut}})
async def ready(runtime: Runtime = Depends(get_runtime)):
    checks = await run_in_threadpool(health.readiness, runtime.engine, runtime.settings)
    ok = all(c.ok for c in checks)
    body = ReadyOut(
        status="UP" if ok else "DEGRADED",
        checks={c.name: "CONNECTED" if c.ok else "DISCONNECTED" for c in checks},
        errors={c.name: c.error for c in checks if c.error},
        time=_now(),
    )
    return JSONResponse(body.model_dump(mode="json"), status_code=200 if ok else 503)


@router.get("/api/health", response_model=NodeHealthOut, summary="Node health (seed 004)",
            dependencies=[Depends(public_limit)])
async def node_health(runtime: Runtime = Depends(get_runtime)):
    checks = await run_in_threadpool(health.readiness, runtime.engine, runtime.settings)
    by_name = {c.name: c for c in checks}
    db_ok = by_name["database"].ok
    engine_ok = by_name["docker"].ok if "docker" in by_name else False
    body = NodeHealthOut(status="healthy" if db_ok and engine_ok else "degraded", proxmox_connected=engine_ok,
                         database_connected=db_ok, timestamp=int(time.time()))
    return JSONResponse(body.model_dump(), headers={"X-Cache-Status": "online" if engine_ok else "offline"})
