"""Request and response shapes of the auth faces (seeds 002 and 003)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from cloudfold.security.scopes import Scope

Password = Field(min_length=1, max_length=256)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=False)


class SignupRequest(_Strict):  # seed 002
    email: EmailStr
    password: str = Password
    full_name: str | None = Field(default=None, max_length=200)


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
    email: EmailStr
    password: str = Password
    name: str | None = Field(default=None, max_length=200)


class RegisterOut(BaseModel):
    message: str
    user_id: str


class LoginJson(_Strict):  # seed 003
    email: EmailStr
    password: str = Password


class CloudUser(BaseModel):
    id: str
    email: str
    name: str | None


class LoginJsonOut(BaseModel):
    user: CloudUser
    api_key: str


class ForgotRequest(_Strict):
    email: EmailStr


class ResetRequest(_Strict):
    token: str = Field(min_length=1, max_length=200)
    new_password: str = Password


class MessageOut(BaseModel):
    message: str


class KeyCreate(_Strict):
    name: str = Field(min_length=1, max_length=200)
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
