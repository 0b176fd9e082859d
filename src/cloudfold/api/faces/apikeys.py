"""API keys (seed 003): create, list, revoke, rotate, regenerate."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from pydantic_core import to_json
from sqlalchemy.orm import Session

from cloudfold.api.deps import context, get_session, read, require
from cloudfold.api.errors import responses
from cloudfold.api.faces.auth_schemas import KeyCreate, KeyCreatedOut, KeyOut
from cloudfold.db.models import ApiKey
from cloudfold.domain import apikeys, users
from cloudfold.domain.context import Principal

router = APIRouter(prefix="/auth/keys", tags=["apikeys"])  # the listing first: routes match in order


def key_fields(key, owner_uuid: str) -> dict:
    """KeyOut's fields of a key (a model or a listed row)."""
    return {"id": key.id, "user_id": owner_uuid, "name": key.name, "prefix": key.prefix, "scopes": list(key.scopes),
            "created_at": key.created_at, "last_used": key.last_used, "expires_at": key.expires_at}


def key_out(key: ApiKey, owner_uuid: str, plaintext: str | None = None) -> KeyOut | KeyCreatedOut:
    fields = key_fields(key, owner_uuid)
    return KeyCreatedOut(key=plaintext, **fields) if plaintext else KeyOut(**fields)


@router.get("", response_model=list[KeyOut], summary="List your API keys (never their secrets)",
            responses=responses(401, 403, 429))
async def list_keys(request: Request, principal: Principal = Depends(require("read"))) -> Response:
    # The authenticated read path's yardstick (bench/bench_http.py): the read made inline on
    # SQLite (api/deps.read), the rows shaped as KeyOut's fields and serialised by pydantic's
    # core in one call (byte-identical to the model's JSON; tests/test_apikeys.py).
    rows = await read(request.app.state.runtime, apikeys.list_for, principal)
    return Response(to_json([key_fields(k, principal.user_uuid) for k in rows]), media_type="application/json")


@router.post("", status_code=201, response_model=KeyCreatedOut, summary="Create an API key (shown once)",
             responses=responses(401, 403, 422, 429))
def create_key(body: KeyCreate, request: Request, session: Session = Depends(get_session),
               principal: Principal = Depends(require("write"))) -> KeyCreatedOut:
    user = users.get(session, principal.user_id)
    scopes = [s.value for s in body.scopes] if body.scopes is not None else None
    key, plaintext = apikeys.create(session, context(request, principal), user, body.name, scopes,
                                    expires_in_days=body.expires_in_days)
    return key_out(key, principal.user_uuid, plaintext)


@router.delete("/{key_id}", status_code=204, response_class=Response, summary="Revoke an API key",
               responses=responses(401, 403, 404, 429))
def revoke_key(key_id: str, request: Request, session: Session = Depends(get_session),
               principal: Principal = Depends(require("write"))) -> Response:
    apikeys.revoke(session, context(request, principal), key_id)
    return Response(status_code=204)


def _rotate(key_id: str, request: Request, session: Session, principal: Principal, action: str) -> KeyCreatedOut:
    key, plaintext = apikeys.rotate(session, context(request, principal), key_id, action)
    return key_out(key, principal.user_uuid, plaintext)


@router.post("/{key_id}/rotate", response_model=KeyCreatedOut,
             summary="Rotate an API key: a new secret replaces the old, which stops working",
             responses=responses(401, 403, 404, 429))
def rotate_key(key_id: str, request: Request, session: Session = Depends(get_session),
               principal: Principal = Depends(require("write"))) -> KeyCreatedOut:
    return _rotate(key_id, request, session, principal, "rotate")


@router.post("/{key_id}/regenerate", response_model=KeyCreatedOut, summary="Regenerate an API key (alias of rotate)",
             responses=responses(401, 403, 404, 429))
def regenerate_key(key_id: str, request: Request, session: Session = Depends(get_session),
                   principal: Principal = Depends(require("write"))) -> KeyCreatedOut:
    return _rotate(key_id, request, session, principal, "regenerate")
