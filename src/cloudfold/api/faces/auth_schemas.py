"""Request and response shapes of the auth faces (seeds 002 and 003)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from cloudfold.domain.inputs import Email, PlainText
from cloudfold.security.scopes import Scope

Password = Field(min_length=1, max_length=256)
InviteToken = Field(default=None, min_length=1, max_length=200,
                    description="An invitation token (needed when the server's sign-up is invite-only)")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=False)


class SignupRequest(_Strict):  # seed 002
    email: Email
    password: str = Password
    full_name: PlainText | None = Field(default=None, max_length=200)
    invite_token: str | None = InviteToken


class UserOut(BaseModel):  # seed 002
    id: int
    email: str
    full_name: str | None
    created_at: datetime
    uuid: str
    role: str
    scopes: list[str] = []


class TokenOut(BaseModel):  # seed 002
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class RegisterRequest(_Strict):  # seed 003
    email: Email
    password: str = Password
    name: PlainText | None = Field(default=None, max_length=200)
    invite_token: str | None = InviteToken


class RegisterOut(BaseModel):
    message: str
    user_id: str


class LoginJson(_Strict):  # seed 003
    email: Email
    password: str = Password


class CloudUser(BaseModel):
    id: str
    email: str
    name: str | None


class LoginJsonOut(BaseModel):
    user: CloudUser
    api_key: str


class ForgotRequest(_Strict):
    email: Email


class ResetRequest(_Strict):
    token: str = Field(min_length=1, max_length=200)
    new_password: str = Password
    revoke_api_keys: bool = Field(default=True, strict=True,
                                  description="Also revoke every API key of the user (default)")


class MessageOut(BaseModel):
    message: str


class KeyCreate(_Strict):
    name: PlainText = Field(min_length=1, max_length=200)
    scopes: list[Scope] | None = Field(default=None, description="Default: the owner's scopes")
    expires_in_days: int | None = Field(default=None, ge=1, le=3650)


class KeyOut(BaseModel):
    id: str
    user_id: str
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    last_used: datetime | None
    expires_at: datetime | None


class KeyCreatedOut(KeyOut):
    key: str


class InvitationCreate(_Strict):
    email: Email | None = Field(default=None, description="Only this address may use the invitation")
    expires_in_days: int | None = Field(default=7, ge=1, le=365, description="null: never expires")


class InvitationOut(BaseModel):
    id: str
    prefix: str
    email: str | None
    created_at: datetime
    expires_at: datetime | None
    used_at: datetime | None
    status: str  # pending | used | expired


class InvitationCreatedOut(InvitationOut):
    token: str
