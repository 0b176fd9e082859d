"""Seed 004 (ProxiCloud) templates: the featured ones, all of them, and one template's details.

A template is an image of the local container engine (see :mod:`cloudfold.domain.templates`);
`available` says whether the image is present in the engine now.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel
from sqlalchemy.orm import Session

from cloudfold.api.deps import get_runtime, get_session, require
from cloudfold.api.errors import responses
from cloudfold.domain import templates
from cloudfold.domain.context import Principal
from cloudfold.runtime import Runtime

router = APIRouter(prefix="/api/templates", tags=["templates"], responses=responses(401, 403, 429, 502, 503))


class TemplateSummary(BaseModel):
    id: str
    name: str
    description: str
    distribution: str
    version: str
    featured: bool
    size: int | None
    available: bool


class TemplateList(BaseModel):
    templates: list[TemplateSummary]
    total: int


class TemplateInfo(BaseModel):
    id: str
    name: str
    description: str
    distribution: str
    version: str
    architecture: str
    size: int | None
    checksum: str | None
    url: str | None
    available: bool
    storage: str
    path: str


NAMED = {"id", "name", "description", "distribution", "version"}


def _summary(row: templates.Listed) -> TemplateSummary:
    return TemplateSummary(**row.template.model_dump(include=NAMED | {"featured"}), size=row.size,
                           available=row.available)


def _list(rows: list[templates.Listed]) -> TemplateList:
    return TemplateList(templates=[_summary(row) for row in rows], total=len(rows))


def _info(d: templates.Details) -> TemplateInfo:
    """Seed 004's details; every image is in the local engine's storage, run by its reference."""
    return TemplateInfo(**d.template.model_dump(include=NAMED), architecture=d.architecture, size=d.size,
                        checksum=d.checksum, url=d.url, available=d.available, storage="local",
                        path=d.template.image)


@router.get("", response_model=TemplateList, summary="List featured templates")
def featured(session: Session = Depends(get_session), runtime: Runtime = Depends(get_runtime),
             _p: Principal = Depends(require("read"))):
    return _list(templates.list_featured(session, runtime.settings, runtime.secretbox))


@router.get("/all", response_model=TemplateList, summary="List all templates, and every other image of the engine")
def all_templates(session: Session = Depends(get_session), runtime: Runtime = Depends(get_runtime),
                  _p: Principal = Depends(require("read"))):
    return _list(templates.list_all(session, runtime.settings, runtime.secretbox))


@router.get("/{template_id}/info", response_model=TemplateInfo, summary="Details of one template",
            responses=responses(404))
def info(template_id: str = Path(..., max_length=200, description="Template id, e.g. busybox-1-standard"),
         session: Session = Depends(get_session), runtime: Runtime = Depends(get_runtime),
         _p: Principal = Depends(require("read"))):
    return _info(templates.info(session, runtime.settings, runtime.secretbox, template_id))
