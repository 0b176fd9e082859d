"""The one inventory: filtered, paginated reads and manually tracked records.

Lists never read the whole table: filters hit indexes, totals come from the counts the
database keeps per group (`ResourceCount`), and pages are LIMIT/OFFSET over the (kind, id) index.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, Row, Select, func, or_, select
from sqlalchemy.orm import Session, selectinload

from cloudfold.db.base import as_record_id
from cloudfold.db.models import Account, Resource, ResourceCount
from cloudfold.domain import audit, events, gone, policy
from cloudfold.domain.context import Context, Principal
from cloudfold.domain.inputs.checks import check_plain_text
from cloudfold.errors import BadRequest, NotFound

COMPUTE = gone.COMPUTE
STORAGE = ("storage", "volume")
NETWORK = ("network", "subnet")
GROUPS = {"vms": COMPUTE, "storage": STORAGE, "networks": NETWORK}


@dataclass
class Filters:
    kinds: tuple[str, ...] | None = None
    provider: str | None = None  # provider type (aws, local, …)
    account_id: int | None = None
    region: str | None = None
    status: str | None = None
    include_vanished: bool = False
    search: str | None = None  # part of the name or the provider's id, any case

    def __post_init__(self) -> None:
        if self.search is not None:
            self.search = self.search.strip() or None
        if self.search is not None:
            if len(self.search) > SEARCH_MAX:
                raise BadRequest(f"search: at most {SEARCH_MAX} characters")
            try:
                check_plain_text(self.search)
            except ValueError as exc:
                raise BadRequest(f"search: {exc}") from None


SEARCH_MAX = 100


def scoped(session: Session | Connection, viewer: Principal, stmt: Select) -> Select:
    """The records the viewer may see (`domain/policy`: synced records follow their account's
    owner, a record someone made through cloudfold is theirs alone)."""
    return policy.resources(stmt, viewer)


def _where(stmt: Select, model, f: Filters, kind=None) -> Select:
    """The filters on `model`'s columns (`Resource`, or the kept counts `ResourceCount`)."""
    if f.kinds:
        stmt = stmt.where((kind if kind is not None else model.kind).in_(f.kinds))
    for name in ("provider", "region", "status"):
        if getattr(f, name):
            stmt = stmt.where(getattr(model, name) == getattr(f, name))
    if f.account_id is not None:
        stmt = stmt.where(model.account_id == f.account_id)
    if not f.include_vanished:
        stmt = stmt.where(model.vanished.is_(False))
    if f.search is not None:  # only on `Resource` (`count` reads the records when searching)
        stmt = stmt.where(or_(model.name.icontains(f.search, autoescape=True),
                              model.external_id.icontains(f.search, autoescape=True)))
    return stmt


def _filtered(session: Session | Connection, viewer: Principal, f: Filters, stmt: Select, in_id_order: bool = False) -> Select:
    kind = None
    if in_id_order and f.kinds and len(f.kinds) > 1 and not (f.provider or f.account_id is not None or f.region
                                                                or f.status):
        # most rows match: walking the table in id order stops after one page, while the
        # (kind, id) index would yield one run per kind and sort every match first
        kind = func.coalesce(Resource.kind, "")  # a wrapped column is not used as an index key
    return _where(scoped(session, viewer, stmt), Resource, f, kind)


def count(session: Session | Connection, viewer: Principal, f: Filters) -> int:
    """How many records match, read from the kept counts (exact: the database keeps them on
    every write of `resources`) under the same visibility rule as the records; a search (which
    no kept count knows) counts the matching records themselves."""
    if f.search is not None:
        return int(session.scalar(_filtered(session, viewer, f, select(func.count(Resource.id)))) or 0)
    stmt = policy.resource_counts(select(func.coalesce(func.sum(ResourceCount.n), 0)), viewer)
    return int(session.scalar(_where(stmt, ResourceCount, f)) or 0)


def _page_ids(session: Session | Connection, viewer: Principal, f: Filters, skip: int, limit: int,
              newest_first: bool = False) -> list[int]:
    """The page's ids in id order (oldest or newest first: the same index, walked either way),
    chosen first (narrow rows, no join): only those records are then read."""
    order = Resource.id.desc() if newest_first else Resource.id
    return list(session.scalars(_filtered(session, viewer, f, select(Resource.id), in_id_order=True)
                                .order_by(order).offset(skip).limit(limit)))


def page(session: Session, viewer: Principal, f: Filters, skip: int = 0, limit: int = 100) -> tuple[list[Resource], int]:
    """One page of records in id order, and the total."""
    total = count(session, viewer, f)
    ids = _page_ids(session, viewer, f, skip, limit)
    if not ids:
        return [], total
    # the page's few accounts in one query, not joined onto (and parsed from) each of its rows
    rows = session.scalars(select(Resource).options(selectinload(Resource.account))
                           .where(Resource.id.in_(ids)).order_by(Resource.id))
    return list(rows), total


# What a listing shows of a record (seed 002's inventory item), read as plain rows.
ITEM_COLUMNS = (Resource.id, Resource.external_id, Resource.name, Resource.kind, Resource.provider, Resource.region,
                Resource.status, Resource.meta.label("meta"), Resource.tags, Resource.cost_per_hour, Resource.created_at,
                Resource.last_synced)


def page_rows(engine: Engine, viewer: Principal, f: Filters, skip: int = 0, limit: int = 100,
              newest_first: bool = False) -> tuple[list[Row], int]:
    """`page` as plain rows of `ITEM_COLUMNS` (no ORM objects: most of a page's cost saved),
    read on one connection without a session's unit of work."""
    with engine.connect() as conn:
        total = count(conn, viewer, f)
        ids = _page_ids(conn, viewer, f, skip, limit, newest_first)
        order = Resource.id.desc() if newest_first else Resource.id
        rows = list(conn.execute(select(*ITEM_COLUMNS).where(Resource.id.in_(ids)).order_by(order))) if ids else []
    return rows, total


def get(session: Session, viewer: Principal, resource_id: int) -> Resource:
    row = session.scalar(scoped(session, viewer, select(Resource).where(Resource.id == resource_id)))
    if row is None:
        raise NotFound("Resource not found")
    return row


def create_manual(session: Session, ctx: Context, bus: events.EventBus, data: dict[str, Any],
                  account: Account | None) -> Resource:
    kind = data["kind"]
    row = Resource(
        account_id=account.id if account else None,
        provider=account.provider_type if account else (data.get("provider") or "manual"),
        kind=kind, external_id=data.get("external_id") or data["name"], name=data["name"],
        region=data.get("region"), status=data.get("status") or "unknown", meta=data.get("metadata") or {},
        tags=data.get("tags") or {}, cost_per_hour=data.get("cost_per_hour"), manual=True,
        owner_id=ctx.actor_user_id,
    )
    session.add(row)
    try:
        session.flush()
    except Exception:
        session.rollback()
        raise BadRequest("A resource with this provider, type and external id is already tracked") from None
    audit.record(session, ctx, "resource.create", target=f"resource:{row.id}", detail={"kind": kind})
    session.commit()
    bus.publish(events.resource_change("create", row))
    return row


EDITABLE = ("name", "region", "status", "metadata", "tags", "cost_per_hour")


REQUIRED = ("name", "status", "metadata", "tags")  # a record always has these: null cannot clear them


def update(session: Session, ctx: Context, bus: events.EventBus, row: Resource, changes: dict[str, Any]) -> Resource:
    policy.check(ctx.principal, policy.CHANGE, row)
    nulls = sorted(k for k in REQUIRED if k in changes and changes[k] is None)
    if nulls:
        raise BadRequest(f"{', '.join(nulls)} cannot be null")
    synced = {"name", "region", "status", "metadata"} & set(changes)
    if not row.manual and synced:
        raise BadRequest(f"{', '.join(sorted(synced))} of a synced resource come from its provider; "
                         "only tags and cost_per_hour can be set")
    for key, value in changes.items():
        setattr(row, "meta" if key == "metadata" else key, value)
    audit.record(session, ctx, "resource.update", target=f"resource:{row.id}", detail={"fields": sorted(changes)})
    session.commit()
    bus.publish(events.resource_change("update", row))
    return row


def delete(session: Session, ctx: Context, bus: events.EventBus, row: Resource) -> None:
    policy.check(ctx.principal, policy.DELETE, row)
    event = events.resource_change("delete", row)
    session.delete(row)
    audit.record(session, ctx, "resource.delete", target=f"resource:{row.id}",
                 detail={"kind": row.kind, "external_id": row.external_id, "untracked_only": True})
    session.commit()
    bus.publish(event)


def by_ref(session: Session, viewer: Principal, ref: str) -> Resource:
    """A resource by its inventory id, or by a provider's external id (e.g. an EC2 instance id)."""
    number = as_record_id(ref)
    if number is not None:
        return get(session, viewer, number)
    stmt = scoped(session, viewer, select(Resource).where(
        or_(Resource.external_id == ref, Resource.name == ref), Resource.kind.in_(COMPUTE),
        Resource.vanished.is_(False)).order_by(Resource.id).limit(2))
    rows = list(session.scalars(stmt))
    if not rows:
        raise NotFound(f"No machine {ref!r}")
    if len(rows) > 1:
        raise BadRequest(f"{ref!r} names more than one machine; use its inventory id")
    return rows[0]


# Seed 004 numbers machines from 100 up: a machine's vmid is its inventory id + VMID_OFFSET.
VMID_OFFSET = 99


def vmid_of(row: Resource) -> int:
    return row.id + VMID_OFFSET


def by_vmid(session: Session, viewer: Principal, vmid: int) -> Resource:
    row = get(session, viewer, vmid - VMID_OFFSET) if vmid > VMID_OFFSET else None
    if row is None or row.kind not in COMPUTE:
        raise NotFound(f"Container {vmid} not found")
    return row
