"""Sign-up invitations (admin): make one (its token shown once), list them, withdraw one."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy.orm import Session

from cloudfold.api.deps import context, get_session, require
from cloudfold.api.errors import responses
from cloudfold.api.faces.auth_schemas import InvitationCreate, InvitationCreatedOut, InvitationOut
from cloudfold.db.models import Invitation
from cloudfold.domain import invitations
from cloudfold.domain.context import Principal

router = APIRouter(prefix="/auth/invitations", tags=["auth"])


def invitation_out(inv: Invitation, token: str | None = None) -> InvitationOut | InvitationCreatedOut:
    fields = dict(id=inv.id, prefix=inv.prefix, email=inv.email, created_at=inv.created_at,
                  expires_at=inv.expires_at, used_at=inv.used_at, status=invitations.status_of(inv))
    return InvitationCreatedOut(token=token, **fields) if token else InvitationOut(**fields)


@router.post("", status_code=201, response_model=InvitationCreatedOut,
             summary="Make a sign-up invitation (admin; the token is shown only here)",
             responses=responses(401, 403, 422, 429))
def create_invitation(body: InvitationCreate, request: Request, session: Session = Depends(get_session),
                      principal: Principal = Depends(require("admin"))) -> InvitationCreatedOut:
    inv, token = invitations.create(session, context(request, principal), body.email and str(body.email),
                                    expires_in_days=body.expires_in_days)
    return invitation_out(inv, token)


@router.get("", response_model=list[InvitationOut], summary="List sign-up invitations (admin; never their tokens)",
            responses=responses(401, 403, 429))
def list_invitations(session: Session = Depends(get_session),
                     principal: Principal = Depends(require("admin"))) -> list[InvitationOut]:
    return [invitation_out(inv) for inv in invitations.list_all(session)]


@router.delete("/{invitation_id}", status_code=204, response_class=Response,
               summary="Withdraw an unused invitation (admin)", responses=responses(401, 403, 404, 409, 429))
def delete_invitation(invitation_id: str, request: Request, session: Session = Depends(get_session),
                      principal: Principal = Depends(require("admin"))) -> Response:
    invitations.delete(session, context(request, principal), invitation_id)
    return Response(status_code=204)
