"""cloudfold's own quota API: the defaults (admin), one user's limits and use (the user or an
admin), and changes to both (admin). Rules and counting live in `domain/quotas/`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Request
from pydantic import BaseModel
from sqlalchemy.orm import Session

from cloudfold.api.deps import context, get_runtime, get_session, require
from cloudfold.api.errors import responses
from cloudfold.domain import quotas
from cloudfold.domain.context import Principal
from cloudfold.domain.quotas import limits
from cloudfold.runtime import Runtime

router = APIRouter(tags=["quotas"], responses=responses(401, 403, 429))
CHANGES = Body(..., description='Quota names and limits, e.g. {"vpcs": 10}; null clears one',
               examples=[{"vpcs": 10, "instances": None}])


class DefaultOut(BaseModel):
    limit: int
    source: str  # built-in | settings | admin
    description: str


class DefaultsOut(BaseModel):
    quotas: dict[str, DefaultOut]


class UsageOut(DefaultOut):
    used: float  # source: built-in | settings | admin | user


class UserQuotasOut(BaseModel):
    user_id: int
    enforced: bool  # false for admins: they are not limited
    quotas: dict[str, UsageOut]


def _report(session: Session, runtime: Runtime, user_id: int) -> dict[str, Any]:
    target = limits.user(session, user_id)
    return quotas.report(session, runtime.settings, user_id, target.role == "admin")


@router.get("/api/quotas", response_model=DefaultsOut, summary="Default quota limits (admin)")
def get_defaults(session: Session = Depends(get_session), runtime: Runtime = Depends(get_runtime),
                 p: Principal = Depends(require("admin"))):
    return quotas.describe_defaults(session, runtime.settings)


@router.put("/api/quotas", response_model=DefaultsOut, summary="Change default quota limits (admin)",
            responses=responses(400, 422))
def put_defaults(request: Request, changes: dict[str, Any] = CHANGES, session: Session = Depends(get_session),
                 runtime: Runtime = Depends(get_runtime), p: Principal = Depends(require("admin"))):
    limits.set_defaults(session, context(request, p), changes)
    return quotas.describe_defaults(session, runtime.settings)


@router.get("/api/quotas/me", response_model=UserQuotasOut, summary="Your quota limits and use")
def get_mine(session: Session = Depends(get_session), runtime: Runtime = Depends(get_runtime),
             p: Principal = Depends(require("read"))):
    return _report(session, runtime, p.user_id)


@router.get("/api/users/{user_id}/quotas", response_model=UserQuotasOut, responses=responses(404, 422),
            summary="A user's quota limits and use (the user or an admin)")
def get_user(user_id: int, session: Session = Depends(get_session), runtime: Runtime = Depends(get_runtime),
             p: Principal = Depends(require("read"))):
    limits.user(session, user_id, viewer=p)
    return _report(session, runtime, user_id)


@router.put("/api/users/{user_id}/quotas", response_model=UserQuotasOut, responses=responses(400, 404, 422),
            summary="Override a user's quota limits (admin)")
def put_user(user_id: int, request: Request, changes: dict[str, Any] = CHANGES,
             session: Session = Depends(get_session), runtime: Runtime = Depends(get_runtime),
             p: Principal = Depends(require("admin"))):
    limits.set_overrides(session, context(request, p), user_id, changes)
    return _report(session, runtime, user_id)
