"""Each object kind's owner, and what that allows (see the package docstring for the rules)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, or_, select

from cloudfold.db.models import (
    Account,
    AuditEvent,
    CloudObject,
    CostRecord,
    Resource,
    ResourceCount,
    Task,
)
from cloudfold.db.models.resource_counts import NO_ID
from cloudfold.domain.context import Principal
from cloudfold.errors import Forbidden, NotFound

SEE, CHANGE, ACT, DELETE = "see", "change", "act", "delete"
VERBS = (SEE, CHANGE, ACT, DELETE)


@dataclass(frozen=True)
class Ownership:
    owner_id: int | None  # the user the object belongs to; None: nobody's
    shared: bool = False  # nobody's and seen by everyone (changed by admins only)


_RULES: dict[type, Callable[[Any], Ownership]] = {}


def rule(model: type) -> Callable[[Callable[[Any], Ownership]], Callable[[Any], Ownership]]:
    """Register how an object kind's owner is found: ``@rule(Model) def _(obj) -> Ownership``."""
    def register(fn: Callable[[Any], Ownership]) -> Callable[[Any], Ownership]:
        _RULES[model] = fn
        return fn

    return register


@rule(Account)
def _account(account: Account) -> Ownership:
    return Ownership(account.owner_id, shared=account.owner_id is None)


@rule(Resource)
def _resource(row: Resource) -> Ownership:
    if row.owner_id is not None:  # made through cloudfold: its maker's
        return Ownership(row.owner_id)
    if row.account is None:  # tracked by hand with no maker recorded: admins only
        return Ownership(None)
    return _account(row.account)  # synced: the account's owner's, or shared with the account


@rule(CloudObject)
def _cloud_object(obj: CloudObject) -> Ownership:
    return Ownership(obj.owner_id)


@rule(Task)
def _task(task: Task) -> Ownership:
    return Ownership(task.owner_id)


@rule(AuditEvent)
def _audit_event(event: AuditEvent) -> Ownership:
    return Ownership(event.actor_user_id)


def owner_of(obj: Any) -> Ownership:
    for model, fn in _RULES.items():
        if isinstance(obj, model):
            return fn(obj)
    raise TypeError(f"no ownership rule for {type(obj).__name__}")


def _allowed(viewer: Principal | None, verb: str, ownership: Ownership) -> bool:
    if viewer is None or viewer.is_admin:  # no principal: the system itself (start-up, schedules)
        return True
    if ownership.owner_id is not None:
        return ownership.owner_id == viewer.user_id
    return verb == SEE and ownership.shared


def may(viewer: Principal | None, verb: str, obj: Any) -> bool:
    if verb not in VERBS:
        raise ValueError(f"unknown verb {verb!r}")
    return _allowed(viewer, verb, owner_of(obj))


def check(viewer: Principal | None, verb: str, obj: Any, what: str = "Resource") -> None:
    """Raise unless allowed: 404 when the viewer may not even see the object (nothing about
    it is told), 403 when they may see it but not do this."""
    if may(viewer, verb, obj):
        return
    if not may(viewer, SEE, obj):
        raise NotFound(f"{what} not found")
    raise Forbidden(f"Only an admin can {verb} a shared {what.lower()}; members change only what they own")


# SQL filters for lists: the same rules as `may(viewer, SEE, …)`, in the database.

def _shared_or_mine_accounts(viewer: Principal):
    return or_(Account.owner_id == viewer.user_id, Account.owner_id.is_(None))


def accounts(stmt, viewer: Principal | None):
    if viewer is None or viewer.is_admin:
        return stmt
    return stmt.where(_shared_or_mine_accounts(viewer))


def resources(stmt, viewer: Principal | None):
    if viewer is None or viewer.is_admin:
        return stmt
    seen_accounts = select(Account.id).where(_shared_or_mine_accounts(viewer))
    return stmt.where(or_(Resource.owner_id == viewer.user_id,
                          and_(Resource.owner_id.is_(None), Resource.account_id.in_(seen_accounts))))


def resource_counts(stmt, viewer: Principal | None):
    """`resources`' rule on the kept counts (`ResourceCount`: a NULL owner or account is NO_ID)."""
    if viewer is None or viewer.is_admin:
        return stmt
    seen_accounts = select(Account.id).where(_shared_or_mine_accounts(viewer))
    return stmt.where(or_(ResourceCount.owner_id == viewer.user_id,
                          and_(ResourceCount.owner_id == NO_ID, ResourceCount.account_id.in_(seen_accounts))))


def cost_records(stmt, viewer: Principal | None):
    """Spending the viewer may see: their own records (manual ones they made, modelled ones of
    machines they own), else records with no owner of an account they see (issue 11)."""
    if viewer is None or viewer.is_admin:
        return stmt
    seen_accounts = select(Account.id).where(_shared_or_mine_accounts(viewer))
    return stmt.where(or_(CostRecord.owner_id == viewer.user_id,
                          and_(CostRecord.owner_id.is_(None), CostRecord.account_id.in_(seen_accounts))))


def owned(column):
    """A list filter: the viewer's own rows by ``column`` (admins and the system: all)."""
    def apply(stmt, viewer: Principal | None):
        return stmt if viewer is None or viewer.is_admin else stmt.where(column == viewer.user_id)

    return apply


cloud_objects = owned(CloudObject.owner_id)
tasks = owned(Task.owner_id)
audit_events = owned(AuditEvent.actor_user_id)


# Events: the facts the rule needs travel with the event (keys starting with "_", never sent).

def event_facts(obj: Any) -> dict[str, Any]:
    ownership = owner_of(obj)
    return {"_owner_id": ownership.owner_id, "_shared": ownership.shared}


def may_hear(viewer: Principal | None, event: dict[str, Any]) -> bool:
    """May this viewer be told about this event? Events without ownership facts are admins' only."""
    if "_owner_id" not in event:
        return viewer is None or viewer.is_admin
    return _allowed(viewer, SEE, Ownership(event["_owner_id"], bool(event.get("_shared"))))
