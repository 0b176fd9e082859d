"""Seed 001 settings: /api/settings (list with defaults, get, put)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel
from sqlalchemy.orm import Session

from cloudfold.api.deps import context, get_session, require
from cloudfold.api.errors import responses
from cloudfold.domain import runtime_settings
from cloudfold.domain.context import Principal

router = APIRouter(prefix="/api/settings", tags=["settings"], responses=responses(401, 403, 429))


class SettingOut(BaseModel):
    key: str
    value: Any
    default: Any
    description: str
    is_default: bool
    minimum: int
    maximum: int


def _out(s: runtime_settings.Setting) -> SettingOut:
    return SettingOut(key=s.spec.key, value=s.value, default=s.spec.default, description=s.spec.description,
                      is_default=s.is_default, minimum=s.spec.minimum, maximum=s.spec.maximum)


class SettingPut(BaseModel):
    value: Any


@router.get("", response_model=list[SettingOut], summary="Every setting with its default")
def list_settings(session: Session = Depends(get_session), p: Principal = Depends(require("read"))):
    return [_out(s) for s in runtime_settings.all_settings(session)]


@router.get("/{key}", response_model=SettingOut, summary="One setting", responses=responses(404))
def get_setting(key: str, session: Session = Depends(get_session), p: Principal = Depends(require("read"))):
    return _out(runtime_settings.get(session, key))


@router.put("/{key}", response_model=SettingOut, summary="Change a setting", responses=responses(400, 404, 422))
def put_setting(key: str, body: SettingPut, request: Request, session: Session = Depends(get_session),
                p: Principal = Depends(require("admin"))):
    return _out(runtime_settings.put(session, context(request, p), key, body.value))
