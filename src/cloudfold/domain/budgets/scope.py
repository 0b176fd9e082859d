"""What a budget or a lockdown covers: everything its owner may see (`all`), one provider type,
one account, or the machines carrying a tag/label (any value, or one value). Scopes are checked
against the owner's view: an account they cannot see is a 404, as if it did not exist."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloudfold.db.models import Account, Resource
from cloudfold.domain import policy
from cloudfold.domain.context import Principal
from cloudfold.drivers.registry import PROVIDER_TYPES
from cloudfold.errors import BadRequest, NotFound

SCOPES = ("all", "provider", "account", "tag")
MACHINES = ("container", "vm", "instance")  # the inventory kinds enforcement may stop


@dataclass(frozen=True)
class Scope:
    scope: str = "all"
    provider: str | None = None
    account_id: int | None = None
    tag_key: str | None = None
    tag_value: str | None = None

    def shown(self) -> dict:
        return {"scope": self.scope, "provider": self.provider, "account_id": self.account_id,
                "tag_key": self.tag_key, "tag_value": self.tag_value}


def check(session: Session, viewer: Principal | None, scope: Scope) -> Scope:
    """The scope with only the fields its kind uses; 400 when it does not fit, 404 for an
    account the viewer cannot see."""
    if scope.scope not in SCOPES:
        raise BadRequest(f"scope must be one of: {', '.join(SCOPES)}")
    if scope.scope == "provider":
        if scope.provider not in PROVIDER_TYPES:
            raise BadRequest(f"provider must be one of: {', '.join(sorted(PROVIDER_TYPES))}")
        return Scope("provider", provider=scope.provider)
    if scope.scope == "account":
        if scope.account_id is None:
            raise BadRequest("account_id is required for an account scope")
        account = session.get(Account, scope.account_id)
        if account is None or not policy.may(viewer, policy.SEE, account):
            raise NotFound("Account not found")
        return Scope("account", account_id=account.id)
    if scope.scope == "tag":
        if not scope.tag_key:
            raise BadRequest("tag_key is required for a tag scope")
        return Scope("tag", tag_key=scope.tag_key, tag_value=scope.tag_value)
    return Scope()


def _tagged(resource: Resource, key: str, value: str | None) -> bool:
    tags = resource.tags or {}
    return key in tags and (value is None or tags[key] == value)


def machines(session: Session, viewer: Principal | None, scope: Scope) -> list[Resource]:
    """The machines in scope that the viewer may see (vanished ones left out), by id."""
    stmt = select(Resource).where(Resource.kind.in_(MACHINES), Resource.vanished.is_(False))
    if scope.scope == "provider":
        stmt = stmt.where(Resource.provider == scope.provider)
    elif scope.scope == "account":
        stmt = stmt.where(Resource.account_id == scope.account_id)
    found = list(session.scalars(policy.resources(stmt, viewer).order_by(Resource.id)))
    if scope.scope == "tag":
        found = [r for r in found if _tagged(r, scope.tag_key, scope.tag_value)]
    return found


def protected(resource: Resource, label: str) -> bool:
    """A machine carrying the protection label/tag (any value but "false") is never stopped."""
    value = (resource.tags or {}).get(label)
    return value is not None and str(value).lower() not in ("false", "0", "no")
