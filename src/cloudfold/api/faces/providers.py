"""Seed 001 providers: /api/providers (+ health check)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy.orm import Session

from cloudfold.api.deps import context, get_runtime, get_session, require
from cloudfold.api.errors import responses
from cloudfold.api.faces.accounts_view import health_out, provider_out
from cloudfold.api.faces.provider_schemas import ProviderCreate, ProviderHealth, ProviderOut, ProviderUpdate
from cloudfold.domain import accounts
from cloudfold.domain.context import Principal
from cloudfold.runtime import Runtime

router = APIRouter(prefix="/api/providers", tags=["providers"], responses=responses(401, 403, 429))


@router.get("", response_model=list[ProviderOut], summary="List registered providers")
def list_providers(session: Session = Depends(get_session), p: Principal = Depends(require("read"))):
    return [provider_out(a) for a in accounts.list_for(session, p)]


@router.post("", status_code=201, response_model=ProviderOut, summary="Register a provider account",
             responses=responses(400, 409, 422))
def create_provider(body: ProviderCreate, request: Request, session: Session = Depends(get_session),
                    runtime: Runtime = Depends(get_runtime), p: Principal = Depends(require("write"))):
    account = accounts.create(session, context(request, p), runtime.secretbox, runtime.settings,
                              provider_type=body.provider_type, display_name=body.display_name, slug=body.id,
                              region=body.region, credentials_path=body.credentials_path,
                              credentials=body.credentials, config=body.config, owner_id=p.user_id)
    return provider_out(account)


@router.get("/health/check", response_model=list[ProviderHealth], summary="Check every provider's health and latency")
def health_check(session: Session = Depends(get_session), runtime: Runtime = Depends(get_runtime),
                 p: Principal = Depends(require("read"))):
    return [health_out(a) for a in accounts.check_all(session, p, runtime.secretbox, runtime.settings)]


@router.get("/{provider_id}", response_model=ProviderOut, summary="Provider details", responses=responses(404))
def get_provider(provider_id: str, session: Session = Depends(get_session), p: Principal = Depends(require("read"))):
    return provider_out(accounts.get(session, p, provider_id))


@router.put("/{provider_id}", response_model=ProviderOut, summary="Update a provider",
            responses=responses(400, 404, 422))
def update_provider(provider_id: str, body: ProviderUpdate, request: Request, session: Session = Depends(get_session),
                    runtime: Runtime = Depends(get_runtime), p: Principal = Depends(require("write"))):
    account = accounts.get(session, p, provider_id)
    accounts.check_can_change(account, p)
    changes = body.model_dump(exclude_unset=True)
    account = accounts.update(session, context(request, p), runtime.secretbox, runtime.settings, account, changes)
    return provider_out(account)


@router.delete("/{provider_id}", status_code=204, response_class=Response, summary="Remove a provider",
               responses=responses(404, 409))
def delete_provider(provider_id: str, request: Request,
                    force: bool = Query(False, description="Also drop its tracked resources from the inventory"),
                    session: Session = Depends(get_session), p: Principal = Depends(require("write"))):
    accounts.remove(session, context(request, p), provider_id, force)
    return Response(status_code=204)
