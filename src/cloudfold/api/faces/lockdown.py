"""Seed 001's `POST /api/orchestrate/lockdown` (emergency budget lockdown) and cloudfold's undo,
`POST /api/orchestrate/lockdown/{id}/restore`; admins only. Rules in `domain/budgets/lockdown.py`."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session

from cloudfold.api.deps import context, get_runtime, get_session, require
from cloudfold.api.errors import responses
from cloudfold.api.faces.lockdown_schemas import LockdownIn, LockdownOut, PreviewOut
from cloudfold.domain.budgets import lockdown
from cloudfold.domain.budgets.lockdown import Preview
from cloudfold.domain.context import Principal
from cloudfold.runtime import Runtime

router = APIRouter(tags=["orchestrate"], responses=responses(401, 403, 429))


@router.post("/api/orchestrate/lockdown", response_model=LockdownOut | PreviewOut, responses=responses(400, 404, 422),
          summary="Emergency budget lockdown: stop every unprotected running machine in scope")
def start_lockdown(body: LockdownIn, request: Request, session: Session = Depends(get_session),
                   runtime: Runtime = Depends(get_runtime), p: Principal = Depends(require("admin"))):
    out = lockdown.start(session, context(request, p), runtime, body.target(), confirm=body.confirm,
                         dry_run=body.dry_run, protect_label=body.protect_label, reason=body.reason)
    return PreviewOut.of(out) if isinstance(out, Preview) else LockdownOut.of(out)


@router.get("/api/orchestrate/lockdown", response_model=list[LockdownOut], summary="Lockdowns, newest first")
def list_lockdowns(session: Session = Depends(get_session), runtime: Runtime = Depends(get_runtime),
                   p: Principal = Depends(require("admin"))):
    return [LockdownOut.of(x) for x in lockdown.visible(session, runtime.settings, p)]


@router.get("/api/orchestrate/lockdown/{lockdown_id}", response_model=LockdownOut, responses=responses(404, 422),
         summary="One lockdown: what it stopped")
def get_lockdown(lockdown_id: int, session: Session = Depends(get_session), runtime: Runtime = Depends(get_runtime),
                 p: Principal = Depends(require("admin"))):
    return LockdownOut.of(lockdown.get(session, runtime.settings, p, lockdown_id))


@router.post("/api/orchestrate/lockdown/{lockdown_id}/restore", response_model=LockdownOut,
          responses=responses(404, 409, 422), summary="Undo a lockdown: start again what it stopped")
def restore_lockdown(lockdown_id: int, request: Request, session: Session = Depends(get_session),
                     runtime: Runtime = Depends(get_runtime), p: Principal = Depends(require("admin"))):
    return LockdownOut.of(lockdown.restore(session, context(request, p), runtime, lockdown_id))
