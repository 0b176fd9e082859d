"""Events: what changed, fanned out to every listener (the /ws stream now; webhooks later).

``publish`` is the one way to emit an event, from a request handler or a job thread. The
in-process bus delivers to this process's listeners; a later issue adds a Redis-backed bus
with the same interface so that every replica's listeners see every event.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any, Protocol

log = logging.getLogger("cloudfold.events")


class EventBus(Protocol):
    def publish(self, event: dict[str, Any]) -> None: ...

    def subscribe(self) -> Subscription: ...


class Subscription:
    def __init__(self, bus: InProcessBus, loop: asyncio.AbstractEventLoop, maxsize: int = 1000) -> None:
        self._bus, self.loop = bus, loop
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize)

    def deliver(self, event: dict[str, Any]) -> None:
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:  # a listener that does not read loses events, not memory
            log.warning("dropping an event for a slow listener")

    async def get(self) -> dict[str, Any]:
        return await self.queue.get()

    def close(self) -> None:
        self._bus.unsubscribe(self)


class InProcessBus:
    def __init__(self) -> None:
        self._subs: set[Subscription] = set()
        self._lock = threading.Lock()

    def subscribe(self) -> Subscription:
        sub = Subscription(self, asyncio.get_running_loop())
        with self._lock:
            self._subs.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            self._subs.discard(sub)

    def publish(self, event: dict[str, Any]) -> None:
        with self._lock:
            subs = list(self._subs)
        for sub in subs:
            try:
                sub.loop.call_soon_threadsafe(sub.deliver, event)
            except RuntimeError:  # its loop is closed: the listener is gone
                self.unsubscribe(sub)


def resource_change(action: str, resource, **extra: Any) -> dict[str, Any]:
    """Seed 001's event: {"type": "resource_change", "action", "resource_id", "provider_id"},
    plus what `policy.may_hear` needs to pick its listeners (keys starting with "_", which
    `wire` drops)."""
    from cloudfold.domain import policy

    return {
        **policy.event_facts(resource),
        "type": "resource_change",
        "action": action,
        "resource_id": str(resource.id),
        "provider_id": resource.account.slug if resource.account is not None else None,
        "resource_type": resource.kind,
        "name": resource.name,
        "status": resource.status,
        **extra,
    }


def wire(event: dict[str, Any]) -> dict[str, Any]:
    """An event as listeners receive it: without the internal facts (keys starting with "_")."""
    return {k: v for k, v in event.items() if not k.startswith("_")}
