"""Seed 002 credentials: /credentials/ — the same accounts, shown without secrets."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy.orm import Session

from cloudfold.api.deps import context, get_runtime, get_session, require
from cloudfold.api.errors import responses
from cloudfold.api.params import RecordId
from cloudfold.api.faces.accounts_view import credential_out
from cloudfold.api.faces.provider_schemas import CredentialCreate, CredentialOut
from cloudfold.domain import accounts
from cloudfold.domain.context import Principal
from cloudfold.runtime import Runtime

router = APIRouter(prefix="/credentials", tags=["credentials"], responses=responses(401, 403, 429))


@router.get("/", response_model=list[CredentialOut], summary="List cloud credentials (never their secrets)")
def list_credentials(session: Session = Depends(get_session), p: Principal = Depends(require("read"))):
    return [credential_out(a) for a in accounts.list_for(session, p)]


@router.post("/", status_code=201, response_model=CredentialOut, summary="Add cloud credentials",
             responses=responses(400, 409, 422))
def add_credentials(body: CredentialCreate, request: Request, session: Session = Depends(get_session),
                    runtime: Runtime = Depends(get_runtime), p: Principal = Depends(require("write"))):
    secret_fields = dict(body.model_extra or {})
    account = accounts.create(session, context(request, p), runtime.secretbox, runtime.settings,
                              provider_type=body.provider, display_name=body.name, region=body.region,
                              credentials=secret_fields, config={}, owner_id=p.user_id)
    return credential_out(account)


@router.delete("/{credential_id}", status_code=204, response_class=Response, summary="Delete cloud credentials",
               responses=responses(404, 409))
def delete_credentials(credential_id: RecordId, request: Request, force: bool = Query(False),
                       session: Session = Depends(get_session), p: Principal = Depends(require("write"))):
    accounts.remove(session, context(request, p), credential_id, force)
    return Response(status_code=204)
