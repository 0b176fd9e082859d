"""Seed 001 resources: /api/resources (list, track by hand, actions, history, sync)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from cloudfold.api.deps import actions_limit, context, get_runtime, get_session, require
from cloudfold.api.errors import responses
from cloudfold.api.params import RecordId, Skip
from cloudfold.api.faces.resource_schemas import (
    ActionLogOut,
    ActionOut,
    ActionRequest,
    ResourceCreate,
    ResourceOut,
    ResourceUpdate,
    resource_out,
)
from cloudfold.domain import accounts, actions, inventory, sync
from cloudfold.domain.context import Principal
from cloudfold.runtime import Runtime

router = APIRouter(prefix="/api/resources", tags=["resources"], responses=responses(401, 403, 429))


class SyncOut(BaseModel):
    message: str
    task_id: str
    provider_id: str
    merged: bool


@router.get("", response_model=list[ResourceOut], summary="List resources")
def list_resources(provider_id: str | None = Query(None, max_length=100),
                   resource_type: str | None = Query(None, max_length=32),
                   status: str | None = Query(None, max_length=32),
                   skip: Skip = 0, limit: int = Query(100, ge=1, le=1000),
                   session: Session = Depends(get_session), p: Principal = Depends(require("read"))):
    account_id = accounts.get(session, p, provider_id).id if provider_id else None
    f = inventory.Filters(kinds=(resource_type,) if resource_type else None, account_id=account_id, status=status)
    rows, _ = inventory.page(session, p, f, skip, limit)
    return [resource_out(r) for r in rows]


@router.post("", status_code=201, response_model=ResourceOut, summary="Track a resource by hand",
             responses=responses(400, 404, 422))
def create_resource(body: ResourceCreate, request: Request, session: Session = Depends(get_session),
                    runtime: Runtime = Depends(get_runtime), p: Principal = Depends(require("write"))):
    account = accounts.get(session, p, body.provider_id) if body.provider_id else None
    data = body.model_dump()
    data["kind"] = data.pop("resource_type")
    return resource_out(inventory.create_manual(session, context(request, p), runtime.events, data, account))


@router.post("/sync/{provider_id}", status_code=202, response_model=SyncOut, summary="Sync resources from a provider",
             responses=responses(404))
def sync_provider(provider_id: str, session: Session = Depends(get_session), runtime: Runtime = Depends(get_runtime),
                  p: Principal = Depends(require("write"))):
    account = accounts.get(session, p, provider_id)
    task_id, merged = sync.request_sync(session, runtime.queue, account, p.user_id, runtime.settings)
    message = "Sync already under way; merged" if merged else "Sync started"
    return SyncOut(message=message, task_id=task_id, provider_id=account.slug, merged=merged)


@router.get("/{resource_id}", response_model=ResourceOut, summary="Resource details", responses=responses(404))
def get_resource(resource_id: RecordId, session: Session = Depends(get_session), p: Principal = Depends(require("read"))):
    return resource_out(inventory.get(session, p, resource_id))


@router.put("/{resource_id}", response_model=ResourceOut, summary="Update a resource", responses=responses(400, 404, 422))
def update_resource(resource_id: RecordId, body: ResourceUpdate, request: Request, session: Session = Depends(get_session),
                    runtime: Runtime = Depends(get_runtime), p: Principal = Depends(require("write"))):
    row = inventory.get(session, p, resource_id)
    changes = body.model_dump(exclude_unset=True)
    return resource_out(inventory.update(session, context(request, p), runtime.events, row, changes))


@router.delete("/{resource_id}", status_code=204, response_class=Response,
               summary="Stop tracking a resource (the cloud object itself is left alone; use the terminate action)",
               responses=responses(404))
def delete_resource(resource_id: RecordId, request: Request, session: Session = Depends(get_session),
                    runtime: Runtime = Depends(get_runtime), p: Principal = Depends(require("write"))):
    inventory.delete(session, context(request, p), runtime.events, inventory.get(session, p, resource_id))
    return Response(status_code=204)


@router.post("/{resource_id}/action", response_model=ActionOut, summary="stop, start, terminate or health_check",
             dependencies=[Depends(actions_limit)], responses=responses(400, 404, 409, 422, 502, 503))
def act(resource_id: RecordId, body: ActionRequest, request: Request, session: Session = Depends(get_session),
        runtime: Runtime = Depends(get_runtime), p: Principal = Depends(require("read"))):
    row = inventory.get(session, p, resource_id)
    out = actions.perform(session, context(request, p), runtime.events, runtime.secretbox, runtime.settings,
                          row, body.action, via="POST /api/resources/{id}/action")
    return ActionOut(action=out.action, resource_id=row.id, status_before=out.status_before, status=out.status_after,
                     message=out.message)


@router.get("/{resource_id}/logs", response_model=list[ActionLogOut], summary="Action history, newest first",
            responses=responses(404))
def action_logs(resource_id: RecordId, limit: int = Query(100, ge=1, le=1000), session: Session = Depends(get_session),
                p: Principal = Depends(require("read"))):
    row = inventory.get(session, p, resource_id)
    return [ActionLogOut.model_validate(a, from_attributes=True) for a in actions.history(session, row, limit)]
