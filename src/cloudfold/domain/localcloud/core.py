"""What the local-cloud services share: the caller's local account and engine, ownership,
and recording an engine object as an inventory Resource plus its seed 003 CloudObject.

Ownership: lists show the caller's own objects (seed 003: "owned by the authenticated
user"); one object by id is visible to its owner and to admins, anyone else gets 404
(`domain/policy`). Engine objects made here carry the maker's uuid (`cloudfold.owner`), so a
sync gives a container cloudfold made its owner even when its record was lost.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select, text
from sqlalchemy.orm import Session

from cloudfold.db.base import new_uuid, utcnow
from cloudfold.db.models import Account, CloudObject, Resource
from cloudfold.domain import accounts, audit, driver_errors, events, gone, policy, replay, workers
from cloudfold.domain.context import Context, Principal
from cloudfold.drivers.base import Discovered
from cloudfold.drivers.local.driver import LocalDriver
from cloudfold.errors import CloudfoldError, Conflict, NotFound, ServiceUnavailable
from cloudfold.security.secretbox import SecretBox
from cloudfold.settings import Settings

log = logging.getLogger(__name__)
TITLES = {"vpc": "VPC", "subnet": "Subnet", "volume": "Volume", "instance": "Instance", "cache": "Cache"}
CONTAINER_KINDS = ("instance", "cache")  # records whose engine object is a container (in a subnet, publishing ports)


@dataclass
class Cloud:
    """One request's view of the local cloud: who asks, and the services a change needs."""

    session: Session
    ctx: Context
    bus: events.EventBus
    box: SecretBox
    settings: Settings

    @property
    def principal(self) -> Principal:
        return self.ctx.principal


class KeptHalfMade(ServiceUnavailable):
    """The engine went away mid-create; the record was kept with status `error` (see
    instances.build), so it is reported, not dropped."""


def local_account(cloud: Cloud) -> Account:
    """The first registered, active `local` account the caller can see (409 when there is none:
    the request cannot be served in this state; 503 is kept for an engine that is unreachable)."""
    account = accounts.first_local(cloud.session, cloud.principal)
    if account is not None:
        return account
    raise Conflict("No local container engine is registered: register a provider of type 'local' "
                   "(POST /api/providers) or start cloudfold where a container engine runs")


def lock_account(cloud: Cloud, account: Account) -> None:
    """Hold the account until this transaction ends (the record's commit, or a refusal's
    rollback), against every other transaction that locks it, in any process or replica: a
    no-op UPDATE of its row, which takes the row's lock on PostgreSQL and the database's one
    write lock on SQLite. Address ranges are chosen and stored under it, so two requests
    never pick the same range. The transaction starts afresh with the UPDATE, so SQLite waits
    for the lock (busy_timeout) instead of failing on a read snapshot gone stale."""
    cloud.session.commit()
    cloud.session.execute(text("UPDATE accounts SET id = id WHERE id = :id"), {"id": account.id})


@contextmanager
def engine(cloud: Cloud, account: Account) -> Iterator[LocalDriver]:
    """The account's driver; engine failures become the one error shape (driver_errors: 503/502,
    400 for a missing image, 409 for a taken port or an address range the engine already uses)."""
    with driver_errors.translated("Container engine"), accounts.driver(account, cloud.box, cloud.settings) as driver:
        driver.acting_for = cloud.principal.user_uuid if cloud.principal else None  # the owner label
        driver.made_by = workers.PROCESS  # the worker label (the reconciler leaves live work alone)
        yield driver


def remover(cloud: Cloud, account: Account, remove: Callable[[LocalDriver, str], None],
            external_id: str) -> Callable[[], None]:
    """A call that removes one engine object (to undo a half-made create, or to delete)."""
    def run() -> None:
        with engine(cloud, account) as driver:
            remove(driver, external_id)

    return run


def objects(kind: str) -> Select:
    """Live objects of a kind (an instance terminated elsewhere is no longer listed)."""
    return (select(CloudObject).join(Resource, Resource.id == CloudObject.resource_id)
            .where(CloudObject.kind == kind, Resource.vanished.is_(False)).order_by(CloudObject.created_at))


def mine(cloud: Cloud, kind: str, **where: Any) -> list[CloudObject]:
    stmt = objects(kind).where(CloudObject.owner_id == cloud.principal.user_id)
    for column, value in where.items():
        stmt = stmt.where(getattr(CloudObject, column) == value)
    return list(cloud.session.scalars(stmt))


def get(cloud: Cloud, kind: str, object_id: str) -> CloudObject:
    obj = cloud.session.scalar(policy.cloud_objects(objects(kind).where(CloudObject.id == object_id), cloud.principal))
    if obj is None:
        raise NotFound(f"{TITLES[kind]} {object_id!r} not found")
    return obj


def engine_name(name: str, object_id: str) -> str:
    """Engine names are global: the user's name plus the object id's first characters."""
    return f"{name}-{object_id[:8]}"


def record(cloud: Cloud, account: Account, kind: str, resource_kind: str, found: Discovered, *, object_id: str,
           name: str, spec: dict[str, Any], undo: Callable[[], None] | None = None, manual: bool = False,
           vpc_id: str | None = None, subnet_id: str | None = None) -> CloudObject:
    """Store a new object (its Resource, reusing a row a sync may have made meanwhile), audit it
    and publish its event. When storing fails, ``undo`` removes the engine object again."""
    session = cloud.session
    try:
        row = session.scalar(select(Resource).where(Resource.account_id == account.id, Resource.kind == resource_kind,
                                                    Resource.external_id == found.external_id))
        if row is None:
            row = Resource(account_id=account.id, provider=account.provider_type, kind=resource_kind,
                           external_id=found.external_id)
            session.add(row)
        row.name, row.status, row.region, row.meta, row.tags = (found.name, found.status, found.region or account.region,
                                                                found.metadata, found.tags)
        row.manual, row.owner_id, row.vanished = manual, cloud.principal.user_id, False
        session.flush()
        obj = CloudObject(id=object_id, resource_id=row.id, kind=kind, name=name, owner_id=cloud.principal.user_id,
                          vpc_id=vpc_id, subnet_id=subnet_id, spec=spec, request_digest=replay.current())
        session.add(obj)
        audit.record(session, cloud.ctx, f"{kind}.create", target=f"{kind}:{object_id}",
                     detail={"name": name, "resource_id": row.id, **{k: v for k, v in spec.items() if k != "env"}})
        session.commit()
    except Exception:
        session.rollback()
        if undo is not None:
            try:
                undo()
            except CloudfoldError:
                log.exception("could not remove the engine object of a %s that was not stored", kind)
        raise
    cloud.bus.publish(events.resource_change("create", row, via=f"{kind}s"))
    return obj


ABANDONED = "error"  # the status of a reserved record given up (`abandon`): vanished, never made
PENDING = gone.PENDING  # the external id of a reserved record until its engine object exists
ANSWERED = "reserved_answered"  # in a reserved record's meta: its id was answered before it was made


def reserve(cloud: Cloud, account: Account, kind: str, resource_kind: str, *, object_id: str, name: str,
            engine_name: str, spec: dict[str, Any], via: str, answered: bool, vpc_id: str | None = None,
            subnet_id: str | None = None) -> CloudObject:
    """Store an object before its engine object exists (status `creating`), with its audit
    event: its inventory id (seed 004's vmid) can be answered at once. It is `manual` until
    `complete`, so no sync or live read marks it vanished meanwhile. It names this process
    (`worker_id`) until then: when the process dies first, the reconciler finishes or rolls
    it back (domain/localcloud/reconcile.py) — intent before effect. ``answered``: whether
    the caller is given the record's id before it is made (seed 004's vmid): only such a
    record is finished by the reconciler; one nobody was told of is rolled back, so a retry
    of the request makes the object once."""
    session = cloud.session
    row = Resource(account_id=account.id, provider=account.provider_type, kind=resource_kind,
                   external_id=f"{PENDING}{object_id}", name=engine_name, status="creating", region=account.region,
                   meta={ANSWERED: answered}, tags={}, manual=True, owner_id=cloud.principal.user_id)
    session.add(row)
    session.flush()
    obj = CloudObject(id=object_id, resource_id=row.id, kind=kind, name=name, owner_id=cloud.principal.user_id,
                      vpc_id=vpc_id, subnet_id=subnet_id, spec=spec, worker_id=workers.PROCESS,
                      request_digest=replay.current())
    session.add(obj)
    audit.record(session, cloud.ctx, f"{kind}.create", target=f"{kind}:{object_id}",
                 detail={"name": name, "resource_id": row.id, "via": via,
                         **{k: v for k, v in spec.items() if k != "env"}})
    session.commit()
    cloud.bus.publish(events.resource_change("create", row, via=via))
    return obj


def complete(cloud: Cloud, obj: CloudObject, found: Discovered, undo: Callable[[], None]) -> CloudObject:
    """Fill a reserved record with its engine object. A row a sync or a live read made for that
    object meanwhile is dropped: the reserved one (whose id was answered) is the record."""
    session = cloud.session
    row = obj.resource
    try:
        twin = session.scalar(select(Resource).where(Resource.account_id == row.account_id, Resource.kind == row.kind,
                                                     Resource.external_id == found.external_id, Resource.id != row.id))
        if twin is not None:
            session.delete(twin)
            session.flush()
        row.external_id, row.name, row.status, row.meta, row.tags = (found.external_id, found.name, found.status,
                                                                     found.metadata, found.tags)
        row.region = found.region or row.region
        row.manual, row.vanished = False, False
        obj.worker_id = None
        session.commit()
    except Exception:
        session.rollback()
        try:
            undo()
        except CloudfoldError:
            log.exception("could not remove the engine object of a %s that was not stored", obj.kind)
        raise
    cloud.bus.publish(events.resource_change("update", row, via=f"{obj.kind}s"))
    return obj


def abandon(cloud: Cloud, obj: CloudObject, error: str) -> None:
    """A reserved record whose engine object could not be made: kept (its vmid was answered and
    must not name another machine later) as vanished with status `error`; the failure audited."""
    session = cloud.session
    session.rollback()
    row = obj.resource
    row.status, row.vanished, row.updated_at = ABANDONED, True, utcnow()
    obj.worker_id = None
    audit.record(session, cloud.ctx, f"{obj.kind}.create", target=f"{obj.kind}:{obj.id}", result=audit.FAILED,
                 detail={"name": obj.name, "resource_id": row.id, "error": error})
    session.commit()
    cloud.bus.publish(events.resource_change("vanished", row, via=f"{obj.kind}s"))


def discard(cloud: Cloud, obj: CloudObject, error: str) -> None:
    """A reserved record whose engine object could not be made, and whose id nobody was given
    (seed 003 answers the record only once it is made): dropped, the failure audited."""
    session = cloud.session
    session.rollback()
    row = obj.resource
    audit.record(session, cloud.ctx, f"{obj.kind}.create", target=f"{obj.kind}:{obj.id}", result=audit.FAILED,
                 detail={"name": obj.name, "resource_id": row.id, "error": error})
    session.delete(obj)
    session.delete(row)
    session.commit()
    cloud.bus.publish(events.resource_change("delete", row, via=f"{obj.kind}s"))


def make(cloud: Cloud, obj: CloudObject, build: Callable[[LocalDriver], Discovered],
         remove: Callable[[LocalDriver, str], None], spec: Callable[[Discovered], dict[str, Any]] | None = None
         ) -> CloudObject:
    """Make a reserved record's engine object (``build``, which labels it with the record's id,
    owner and this process) and complete the record; ``spec`` adds what only the made object
    tells. A failure drops the record (its id was never answered) and is raised."""
    account = obj.resource.account
    try:
        with engine(cloud, account) as driver:
            found = build(driver)
    except CloudfoldError as exc:
        discard(cloud, obj, exc.message)
        raise
    if spec is not None:
        obj.spec = {**obj.spec, **spec(found)}
    return complete(cloud, obj, found, undo=remover(cloud, account, remove, found.external_id))


DELETING = "deleting"


def delete(cloud: Cloud, obj: CloudObject, remove: Callable[[], None]) -> None:
    """Delete an object and its engine object: the record says `deleting` and names this
    process before the engine is asked, so when the process dies in between the reconciler
    finishes the delete; an engine failure puts the record back as it was, and is raised."""
    session, row = cloud.session, obj.resource
    before = row.status
    row.status, obj.worker_id = DELETING, workers.PROCESS
    session.commit()
    try:
        remove()
    except Exception:
        session.rollback()
        row.status, obj.worker_id = before, None
        session.commit()
        raise
    forget(cloud, obj)


def forget(cloud: Cloud, obj: CloudObject) -> None:
    """Drop a deleted object's records, with its audit event and a `delete` event."""
    row = obj.resource
    event = events.resource_change("delete", row, via=f"{obj.kind}s")
    audit.record(cloud.session, cloud.ctx, f"{obj.kind}.delete", target=f"{obj.kind}:{obj.id}",
                 detail={"name": obj.name, "resource_id": row.id, "external_id": row.external_id})
    cloud.session.delete(obj)
    cloud.session.delete(row)
    cloud.session.commit()
    cloud.bus.publish(event)


def new_id() -> str:
    return new_uuid()
