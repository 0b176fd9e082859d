"""A background thread that does one thing every so often: the shape the process's periodic
loops share (the task queue's scheduler, the process heartbeat, the sampled refusals)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger("cloudfold.jobs")


class Ticker:
    """Calls ``tick`` every ``interval`` seconds on a daemon thread named ``name``, from
    `start` until `stop`. An exception in ``tick`` is logged and the next tick comes as usual:
    a periodic loop never dies of one bad round."""

    def __init__(self, name: str, interval: float, tick: Callable[[], None]) -> None:
        self.name, self.interval, self._tick = name, interval, tick
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self._tick()
            except Exception:
                log.exception("%s: a periodic round failed", self.name)
