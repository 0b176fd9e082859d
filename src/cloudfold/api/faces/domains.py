"""Seed 000 domainStatus: /domains/{domain}/status (DNS, TLS, HTTP) and /domains/{domain}/ssl
(the certificate: subject, issuer, SANs, validity, days left, chain valid). Probed now through
`domain/monitors/domains.py`; `port` (default 443) serves domains on another port."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from cloudfold.api.deps import get_runtime, require
from cloudfold.api.errors import responses
from cloudfold.domain.context import Principal
from cloudfold.domain.monitors import domains
from cloudfold.runtime import Runtime

router = APIRouter(prefix="/domains", tags=["domainStatus"], responses=responses(400, 401, 403, 429))


class DomainStatusOut(BaseModel):
    domain: str
    port: int
    dns: dict
    tls: dict
    http: dict
    checked_at: datetime


class DomainSslOut(BaseModel):
    domain: str
    port: int
    subject: str | None
    issuer: str | None
    sans: list[str]
    not_before: datetime | None
    not_after: datetime | None
    days_left: int | None
    chain_valid: bool
    error: str | None
    checked_at: datetime


Port = Query(443, ge=1, le=65535, description="TLS/HTTP port")


@router.get("/{domain}/status", response_model=DomainStatusOut, summary="Check domain DNS, SSL, and HTTP status")
async def domain_status(domain: str, port: int = Port, runtime: Runtime = Depends(get_runtime),
                        p: Principal = Depends(require("read"))) -> DomainStatusOut:
    found = await run_in_threadpool(domains.status, domain, port, p, runtime.settings)
    return DomainStatusOut(**found.__dict__)


@router.get("/{domain}/ssl", response_model=DomainSslOut, summary="Get SSL certificate details")
async def domain_ssl(domain: str, port: int = Port, runtime: Runtime = Depends(get_runtime),
                     p: Principal = Depends(require("read"))) -> DomainSslOut:
    return DomainSslOut(**await run_in_threadpool(domains.certificate, domain, port, p, runtime.settings))
