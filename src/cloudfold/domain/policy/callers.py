"""A caller's rights now: what a queued job (or an open socket) runs with is recomputed from
the database when it runs, never taken from what the caller had when it asked."""

from __future__ import annotations

import threading
from collections.abc import Callable

from sqlalchemy.orm import Session

from cloudfold.db.models import ApiKey, User
from cloudfold.domain.context import Principal
from cloudfold.errors import Forbidden

NOT_AUTHORISED = "caller no longer authorised"


def token_version(session: Session, principal: Principal) -> int | None:
    user = session.get(User, principal.user_id)
    return user.token_version if user is not None else None


def recheck(session: Session, principal: Principal, version: int | None = None) -> Principal:
    """The principal as the database says it is now: the user must still be active; a key must
    still be live; a session (no key) must still carry the user's token version (a password
    reset bumps it); scopes are the key's scopes within the user's current role. Raises
    Forbidden("caller no longer authorised: …") otherwise."""
    from cloudfold.domain import apikeys, users

    user = session.get(User, principal.user_id)
    if user is None or not user.is_active:
        raise Forbidden(f"{NOT_AUTHORISED}: the account is disabled or gone")
    if principal.key_id is None:
        if version is not None and user.token_version != version:
            raise Forbidden(f"{NOT_AUTHORISED}: the session ended (password reset)")
        return users.principal_for(user, scopes=principal.scopes)
    key = session.get(ApiKey, principal.key_id)
    if key is None or key.user_id != user.id or key.revoked_at is not None:
        raise Forbidden(f"{NOT_AUTHORISED}: the API key was revoked")
    if apikeys.is_expired(key):
        raise Forbidden(f"{NOT_AUTHORISED}: the API key expired")
    return users.principal_for(user, scopes=frozenset(key.scopes), key=key)


# An in-process signal: whoever ends a credential (a key revoked or rotated, …) calls
# `changed(user_id)`, and listeners (open WebSockets) re-check at once instead of at their next
# periodic check. Other processes' listeners still find out at that check.
_listeners: set[Callable[[int], None]] = set()
_lock = threading.Lock()


def listen(fn: Callable[[int], None]) -> Callable[[], None]:
    """Call ``fn(user_id)`` when a credential of that user changes; returns the unsubscribe."""
    with _lock:
        _listeners.add(fn)
    return lambda: _forget(fn)


def _forget(fn: Callable[[int], None]) -> None:
    with _lock:
        _listeners.discard(fn)


def changed(user_id: int) -> None:
    with _lock:
        listeners = list(_listeners)
    for fn in listeners:
        fn(user_id)
