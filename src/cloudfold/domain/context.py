"""Who is acting: the principal behind a request or job, and where it came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Principal:
    user_id: int
    user_uuid: str
    email: str
    role: str
    scopes: frozenset[str]
    key_id: str | None = None
    key_prefix: str | None = None
    token_id: str | None = None  # the JWT's jti when a JWT was presented (logout revokes it)
    token_expires_at: datetime | None = None

    @property
    def is_admin(self) -> bool:
        return "admin" in self.scopes

    @property
    def label(self) -> str:
        return f"{self.email} (key {self.key_prefix})" if self.key_prefix else self.email


@dataclass(frozen=True)
class Context:
    principal: Principal | None = None
    ip: str | None = None
    request_id: str | None = None
    extra: dict = field(default_factory=dict)

    @property
    def actor(self) -> str:
        return self.principal.label if self.principal else "anonymous"

    @property
    def actor_user_id(self) -> int | None:
        return self.principal.user_id if self.principal else None


SYSTEM = Context(principal=None, ip=None, request_id=None, extra={"system": True})
