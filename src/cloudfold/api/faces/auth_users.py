"""Accounts: seed 002's signup and /auth/me, seed 003's register and password reset, logout."""

from __future__ import annotations


from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy.orm import Session

from cloudfold.api.deps import (
    auth_limit,
    context,
    current_principal,
    get_runtime,
    get_session,
    public_limit,
    require,
)
from cloudfold.api.errors import responses
from cloudfold.api.faces.auth_schemas import (
    ForgotRequest,
    MessageOut,
    RegisterOut,
    RegisterRequest,
    ResetRequest,
    SignupRequest,
    UserOut,
)
from cloudfold.db.models import User
from cloudfold.domain import invitations, passwords, sessions, users
from cloudfold.domain.context import Principal
from cloudfold.runtime import Runtime

limited = [Depends(public_limit), Depends(auth_limit)]
router = APIRouter(tags=["auth"])
REGISTERED = "user created successfully"


def user_out(user: User) -> UserOut:
    from cloudfold.security.scopes import scopes_for_role

    return UserOut(id=user.id, uuid=user.uuid, email=user.email, full_name=user.full_name or None,
                   created_at=user.created_at, role=user.role, scopes=sorted(scopes_for_role(user.role)))


@router.post("/auth/signup", status_code=201, response_model=UserOut, dependencies=limited,
             summary="Create an account (seed 002; `invite_token` when sign-up is invite-only)",
             responses=responses(400, 403, 409, 422, 429))
def signup(body: SignupRequest, request: Request, session: Session = Depends(get_session),
           runtime: Runtime = Depends(get_runtime)) -> UserOut:
    user = invitations.sign_up(session, context(request), runtime.settings.signup, str(body.email), body.password,
                               body.full_name or "", body.invite_token)
    return user_out(user)


@router.post("/auth/register", status_code=201, response_model=RegisterOut, dependencies=limited,
             summary="Create an account (seed 003; `invite_token` when sign-up is invite-only). An address "
                     "already registered gets the same answer and nothing is created",
             responses=responses(400, 403, 422, 429))
def register(body: RegisterRequest, request: Request, session: Session = Depends(get_session),
             runtime: Runtime = Depends(get_runtime)) -> RegisterOut:
    user_id = invitations.sign_up_quietly(session, context(request), runtime.settings.signup, str(body.email),
                                          body.password, body.name or "", body.invite_token)
    return RegisterOut(message=REGISTERED, user_id=user_id)


@router.get("/auth/me", response_model=UserOut, summary="The current user (seed 002)",
            responses=responses(401, 403, 429))
def me(principal: Principal = Depends(require("read")), session: Session = Depends(get_session)) -> UserOut:
    return user_out(users.get(session, principal.user_id))


@router.post("/auth/logout", status_code=204, response_class=Response,
             summary="Log out: revoke the presented JWT, or the API key a JSON login handed out",
             responses=responses(400, 401, 429))
def logout(request: Request, session: Session = Depends(get_session),
           principal: Principal = Depends(current_principal)) -> Response:
    sessions.logout(session, context(request, principal))
    return Response(status_code=204)


@router.post("/auth/forgot-password", response_model=MessageOut, dependencies=limited,
             summary="Send a password reset token (same answer whether or not the email exists)",
             responses=responses(422, 429))
def forgot_password(body: ForgotRequest, request: Request, session: Session = Depends(get_session),
                    runtime: Runtime = Depends(get_runtime)) -> MessageOut:
    s = runtime.settings
    passwords.request_reset(session, context(request), runtime.notifier, str(body.email),
                            s.reset_token_ttl_minutes, s.public_url)
    return MessageOut(message=passwords.FORGOT_MESSAGE)


@router.post("/auth/reset-password", response_model=MessageOut, dependencies=limited,
             summary="Set a new password with a reset token (single use, expiring); every API key of the "
                     "user is revoked unless revoke_api_keys is false",
             responses=responses(400, 422, 429))
def reset_password(body: ResetRequest, request: Request, session: Session = Depends(get_session)) -> MessageOut:
    passwords.reset(session, context(request), body.token, body.new_password, body.revoke_api_keys)
    return MessageOut(message="password updated successfully")
