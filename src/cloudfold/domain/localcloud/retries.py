"""A create retried after its process died answers what its first attempt made
(domain/replay.py names the request; `core.reserve` and `core.record` store the name on the
object)."""

from __future__ import annotations

from sqlalchemy import select

from cloudfold.db.models import CloudObject
from cloudfold.domain import replay, workers
from cloudfold.domain.localcloud import core, reconcile
from cloudfold.errors import Conflict


def replayed(cloud: core.Cloud, kind: str, *, answered: bool = False) -> CloudObject | None:
    """The object of ``kind`` this request already made, when it is the retry of an
    Idempotency-Key request whose process died before its answer was stored; None when it made
    none (the caller makes it now). A record the dead attempt left half-made is answered when
    its id had been answered (seed 004's vmid: the reconciler finishes it); else it is rolled
    back now, as the reconciler would (its engine object removed, the record dropped), and the
    retry makes the object once."""
    name = replay.current()
    if name is None:
        return None
    obj = cloud.session.scalar(select(CloudObject).where(CloudObject.request_digest == name, CloudObject.kind == kind,
                                                         CloudObject.owner_id == cloud.principal.user_id))
    if obj is None or obj.worker_id is None or answered:
        return obj
    if workers.alive(cloud.session, cloud.settings, obj.worker_id):
        raise Conflict(f"The first attempt of this request is still making its {kind}; retry in a few seconds")
    reconcile.roll_back(cloud, obj)
    return None
