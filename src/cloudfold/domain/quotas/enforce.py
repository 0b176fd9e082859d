"""Counting a user's use against their limits before something is made, and telling them.

`claim` holds the user's row (a no-op UPDATE: the row's lock on PostgreSQL, the one write
lock on SQLite) until the caller's transaction ends with the new record's commit, so requests
of one user in any number of processes or replicas count one after another and a limit is
never overshot. A caller that already holds a lock taken the same way (the local cloud's
`core.lock_account`) passes ``locked=True`` so its transaction is not ended first; locks are
always taken account first, user second."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from cloudfold.domain.context import Principal
from cloudfold.domain.quotas import limits
from cloudfold.domain.quotas.builtin import USES
from cloudfold.domain.quotas.registry import REGISTRY
from cloudfold.errors import Forbidden
from cloudfold.settings import Settings


def enforced(principal: Principal | None) -> bool:
    """Admins (and the system's own work) are not limited."""
    return principal is not None and not principal.is_admin


def lock(session: Session, user_id: int, *, locked: bool = False) -> None:
    """Hold the user's row until this transaction ends. Unless ``locked``, the transaction
    starts afresh with the UPDATE, so SQLite waits for its write lock instead of failing on a
    read snapshot gone stale."""
    if not locked:
        session.commit()
    session.execute(text("UPDATE users SET id = id WHERE id = :id"), {"id": user_id})


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


def claim(session: Session, settings: Settings, principal: Principal | None, wanted: Mapping[str, float], *,
          locked: bool = False) -> None:
    """Refuse (403, nothing changed) when any of ``wanted`` (quota name -> amount) would take
    the principal past a limit; otherwise return holding the user's lock (see above)."""
    if not enforced(principal):
        return
    lock(session, principal.user_id, locked=locked)
    applying = limits.for_user(session, settings, principal.user_id)
    for name, amount in wanted.items():
        if not amount:
            continue
        used = REGISTRY[name].usage(session, principal.user_id)
        limit = applying[name].value
        if used + amount > limit:
            session.rollback()  # give the lock up before the refusal is audited in another session
            detail = {"quota": name, "limit": limit, "used": _number(used), "requested": _number(amount)}
            raise Forbidden(f"Quota exceeded: {name} limit is {limit}, {_number(used)} in use, "
                            f"{_number(amount)} more requested", detail=detail)


def claim_object(session: Session, settings: Settings, principal: Principal | None, kind: str,
                 spec: dict[str, Any], *, locked: bool = False) -> None:
    """`claim` what one new local-cloud object of ``kind`` with ``spec`` takes of each quota."""
    claim(session, settings, principal, USES[kind](spec), locked=locked)


def report(session: Session, settings: Settings, user_id: int, principal_is_admin: bool) -> dict[str, Any]:
    """A user's limits and use: {user_id, enforced, quotas: {name: {limit, used, source, description}}}."""
    applying = limits.for_user(session, settings, user_id)
    quotas = {name: {"limit": limit.value, "used": _number(REGISTRY[name].usage(session, user_id)),
                     "source": limit.source, "description": REGISTRY[name].description}
              for name, limit in sorted(applying.items())}
    return {"user_id": user_id, "enforced": not principal_is_admin, "quotas": quotas}


def describe_defaults(session: Session, settings: Settings) -> dict[str, Any]:
    return {"quotas": {name: {"limit": limit.value, "source": limit.source,
                              "description": REGISTRY[name].description}
                       for name, limit in sorted(limits.defaults(session, settings).items())}}
