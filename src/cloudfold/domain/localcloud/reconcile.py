"""The reconciler: what a dead process left half-made on a local engine is finished or rolled
back, and what cloudfold made whose record is gone is removed (run at start and every
`reconcile_interval_seconds`, as the `localcloud.reconcile` job).

Every object cloudfold makes on an engine (an instance's container, a subnet's network, a
volume) is recorded first (`core.reserve`: owner, status
`creating`, the process making it) and carries its record's id (`cloudfold.id`) and its
owner's uuid (`cloudfold.owner`) on the engine. So, per active local account:

- a reserved record whose process is dead (domain/workers.py) is finished when its id was
  answered (seed 004's vmid) and the engine has its object (running, or made as asked) — the
  record completed, with its owner, any twin a sync or live read made meanwhile dropped — and
  else rolled back: the engine object removed, the record kept as `error`/vanished
  (`core.abandon`) when its id was answered, dropped when it was not (seed 003's POST
  /instances answers the record once made: its retry makes it again, once); never left `creating`;
- a record a dead process was deleting (`core.delete`: status `deleting`, the process named)
  has what is left of its engine objects removed, then the record;
- an engine object labelled with a record id that no longer exists (or whose record was given
  up: an engine may finish a create after the process that asked for it died), with the uuid of a user
  of this installation, and made by a process that is no longer alive (`cloudfold.worker`:
  a live one may be about to store its record), is removed (the record was deleted, or never
  committed); objects of other installations sharing the engine are never touched.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import ObjectDeletedError, StaleDataError

from cloudfold.db.models import Account, CloudObject, Resource, User
from cloudfold.domain import workers
from cloudfold.domain.context import SYSTEM
from cloudfold.domain.localcloud import core
from cloudfold.drivers.base import DriverError
from cloudfold.drivers.base import NotFound as DriverNotFound
from cloudfold.drivers.local import provision
from cloudfold.errors import CloudfoldError
from cloudfold.jobs.registry import JobContext, job

log = logging.getLogger(__name__)
ORPHAN = "its process stopped before the engine object was made"


def _stranded(session: Session, settings, account: Account) -> list[CloudObject]:
    """Reserved records of this account that no live process is making."""
    live = workers.live_ids(session, settings)
    stmt = (select(CloudObject).join(Resource, Resource.id == CloudObject.resource_id)
            .where(Resource.account_id == account.id, Resource.external_id.like(f"{core.PENDING}%"),
                   Resource.vanished.is_(False)))
    return [o for o in session.scalars(stmt) if o.worker_id not in live]


def _deleting(session: Session, settings, account: Account) -> list[CloudObject]:
    """Records of this account a dead process was deleting (`core.delete`)."""
    live = workers.live_ids(session, settings)
    stmt = (select(CloudObject).join(Resource, Resource.id == CloudObject.resource_id)
            .where(Resource.account_id == account.id, CloudObject.worker_id.is_not(None),
                   Resource.external_id.not_like(f"{core.PENDING}%")))
    return [o for o in session.scalars(stmt) if o.worker_id not in live]


def _finish_delete(cloud: core.Cloud, driver, obj: CloudObject, made: list[provision.Made]) -> str:
    """Remove what is left on the engine of a record being deleted (its network, its volume, a
    VPC's edge: everything labelled with its id), then the record."""
    for m in made:
        if m.object_id == obj.id:
            provision.remove_made(driver, m)
    core.forget(cloud, obj)
    return "deleted"


def _finish(cloud: core.Cloud, driver, obj: CloudObject, made: list[provision.Made]) -> str:
    """Complete ``obj`` from its engine object, or roll it back; returns what was done. Only an
    instance whose id was answered is completed; a half-made subnet's network or volume (whose
    id nobody was given) is removed and the record dropped, so a retry makes it once."""
    mine = [m for m in made if m.object_id == obj.id]
    containers = [m for m in mine if m.kind == "container"]
    for extra in containers[1:] + [m for m in mine if m.kind != "container"]:  # never two for one record
        provision.remove_made(driver, extra)
    answered = (obj.resource.meta or {}).get(core.ANSWERED, True)
    if containers:
        try:
            found, state = provision.inspect_container(driver, containers[0].external_id)
        except DriverNotFound:  # removed meanwhile (a retry or another reconciler settling it): gone
            found, state = None, None
        if found is not None and answered and (state.get("Running") or not obj.spec.get("start", True)):
            core.complete(cloud, obj, found, undo=lambda: None)
            return "completed"
        if found is not None:
            provision.remove_made(driver, containers[0])  # half-made, or made for an id nobody was given
    if answered:
        core.abandon(cloud, obj, ORPHAN)  # its id names this record for good
    else:
        core.discard(cloud, obj, ORPHAN)  # the request's retry makes it again, once
    return "rolled back"


def _settle(cloud: core.Cloud, driver, obj: CloudObject, made: list[provision.Made]) -> str:
    """`_finish`, when another process (a reconciler, a retry) may settle the same record at
    the same time: a record it removed first counts as settled here too."""
    try:
        return _finish(cloud, driver, obj, made)
    except (ObjectDeletedError, StaleDataError):
        cloud.session.rollback()
        return "rolled back"


def roll_back(cloud: core.Cloud, obj: CloudObject) -> str:
    """Finish or roll back one reserved record a dead process left (what `reconcile_account`
    does for each), now: for the retry of the request that made it (`retries.replayed`)."""
    with core.engine(cloud, obj.resource.account) as driver:
        return _settle(cloud, driver, obj, provision.made_objects(driver))


def _ours(session: Session, made: list[provision.Made]) -> set[str]:
    """The owner uuids on ``made`` that name users of this installation."""
    owners = {m.owner for m in made if m.owner}
    return set(session.scalars(select(User.uuid).where(User.uuid.in_(owners)))) if owners else set()


def reconcile_account(cloud: core.Cloud, account: Account) -> dict[str, Any]:
    session = cloud.session
    done: dict[str, Any] = {"completed": 0, "rolled back": 0, "deleted": 0, "removed": 0}
    with core.engine(cloud, account) as driver:
        made = provision.made_objects(driver)
        for obj in _stranded(session, cloud.settings, account):
            done[_settle(cloud, driver, obj, made)] += 1
        for obj in _deleting(session, cloud.settings, account):
            done[_finish_delete(cloud, driver, obj, made)] += 1
        ours, live = _ours(session, made), workers.live_ids(session, cloud.settings)
        # a record given up (`core.abandon`) has no engine object: one an engine finished making
        # after the process that asked died (and after the record was given up) is an orphan too
        known = set(session.scalars(select(CloudObject.id).join(Resource, Resource.id == CloudObject.resource_id).where(
            CloudObject.id.in_({m.object_id for m in made}),
            ~(Resource.vanished.is_(True) & (Resource.status == core.ABANDONED))))) if made else set()
        for m in made:
            if m.owner in ours and m.object_id not in known and m.worker not in live:
                provision.remove_made(driver, m)
                done["removed"] += 1
    return done


def reconcile(session: Session, runtime, settings) -> dict[str, Any]:
    """Take over from dead processes, then reconcile every active local account."""
    out: dict[str, Any] = {"taken_over": workers.take_over(session, settings)}
    cloud = core.Cloud(session, SYSTEM, runtime.events, runtime.secretbox, settings)
    accounts = session.scalars(select(Account).where(Account.provider_type == "local", Account.is_active.is_(True)))
    for account in list(accounts):
        try:
            out[account.slug] = reconcile_account(cloud, account)
        except (CloudfoldError, DriverError) as exc:  # an engine down now is tried again next time
            session.rollback()
            out[account.slug] = {"error": str(getattr(exc, "message", None) or exc)}
    return out


@job("localcloud.reconcile")
def reconcile_job(jctx: JobContext, payload: dict) -> dict[str, Any]:
    with jctx.sessions() as session:
        result = reconcile(session, jctx.services, jctx.settings)
    jctx.log(f"reconciled: {result}")
    return result


