"""Shapes and the one dependency the seed 003 local-cloud faces (vpcs, volumes, instances) share."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from fastapi import Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from cloudfold.api.deps import context, get_runtime, get_session, require
from cloudfold.db.models import CloudObject
from cloudfold.domain.context import Principal
from cloudfold.domain.localcloud.core import Cloud
from cloudfold.runtime import Runtime

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
NAME = Field(min_length=1, max_length=63, pattern=NAME_PATTERN,
             description="Letters, digits, '.', '_' or '-', starting with a letter or digit")
INSTANCE_NAME = Field(min_length=1, max_length=64, pattern=NAME_PATTERN,
                      description="Letters, digits, '.', '_' or '-', starting with a letter or digit; up to 64")


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


def cloud(scope: str) -> Callable[..., Cloud]:
    """A dependency giving the request's Cloud, once the caller has `scope`."""

    def dependency(request: Request, session: Session = Depends(get_session), runtime: Runtime = Depends(get_runtime),
                   p: Principal = Depends(require(scope))) -> Cloud:
        return Cloud(session, context(request, p), runtime.events, runtime.secretbox, runtime.settings)

    dependency.__name__ = f"cloud_{scope}"
    return dependency


class ObjectOut(BaseModel):
    id: str
    name: str
    status: str
    resource_id: int = Field(description="The inventory record (/inventory/{id}, /api/resources/{id})")
    created_at: datetime


def base(obj: CloudObject) -> dict:
    return {"id": obj.id, "name": obj.name, "status": obj.resource.status, "resource_id": obj.resource_id,
            "created_at": obj.created_at}


class Deleted(BaseModel):
    success: bool = True
    id: str
    message: str


def deleted(obj: CloudObject) -> Deleted:
    return Deleted(id=obj.id, message=f"{obj.kind} {obj.name!r} deleted")
