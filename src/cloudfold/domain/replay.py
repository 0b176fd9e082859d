"""A retried create finds what its first attempt made.

A request with an `Idempotency-Key` whose process died after it made an object but before
its answer was stored is run again when the client retries (`api/middleware/idempotency.py`
releases a dead process's claim). So that it does not make a second object, the middleware
names the request (a digest of caller, key and body) for the code it runs, every object a
create stores carries that name (`CloudObject.request_digest`), and a create first looks for
an object its request already made (`domain/localcloud/core.replayed`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_CURRENT: ContextVar[str | None] = ContextVar("cloudfold_request_digest", default=None)


def digest(principal: str, key: str, request_hash: str) -> str:
    return hashlib.sha256(f"{principal}\n{key}\n{request_hash}".encode()).hexdigest()


@contextmanager
def request(name: str) -> Iterator[None]:
    """Name the running request (the thread pool copies the name to the handler's thread)."""
    token = _CURRENT.set(name)
    try:
        yield
    finally:
        _CURRENT.reset(token)


def current() -> str | None:
    """The running request's name when it carries an Idempotency-Key, else None."""
    return _CURRENT.get()
