"""Helpers for the alerting tests: a real SMTP server (aiosmtpd) and a real HTTP webhook
receiver on 127.0.0.1, an app with alerting settings for tests, and driving the evaluation job
with a stepped clock (each step one evaluation period, so every rule is due)."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from auth_support import CollectingHandler, free_port

from cloudfold.db.base import utcnow
from cloudfold.domain.alerts import jobs

PERIOD = 3600  # alert_eval_seconds in tests: the background schedule never runs during a test
QUICK = dict(alert_eval_seconds=PERIOD, alert_group_wait_seconds=0, alert_group_interval_seconds=0,
             alert_repeat_interval_seconds=30 * 86400, alert_delivery_backoff_seconds=0, alert_delivery_attempts=3,
             alert_delivery_timeout_seconds=5)


class Receiver:
    """Collects the JSON bodies POSTed to it; answers `status` (200 by default)."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        self.headers: list[dict] = []
        self.status = 200
        self.arrived = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's hook name)
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if receiver.status < 300:
                    receiver.bodies.append(json.loads(raw))
                    receiver.headers.append(dict(self.headers))
                    receiver.arrived.set()
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook():
    made: list[Receiver] = []

    def start() -> Receiver:
        made.append(Receiver())
        return made[-1]

    yield start
    for r in made:
        r.close()


@pytest.fixture
def smtp():
    """A real SMTP server on a free port: (handler, port)."""
    handler, port = CollectingHandler(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


class Clock:
    """Drives `alerts.evaluate` (the job's own function) one evaluation period at a time."""

    def __init__(self, client, live: bool = False) -> None:
        self.client = client
        self.now = utcnow()
        self.events: list[dict] = []
        self.live = live  # also publish the events on the app's bus (/ws listeners hear them)

    def _publish(self, event: dict) -> None:
        self.events.append(event)
        if self.live:
            self.client.app.state.runtime.events.publish(event)

    @property
    def next(self):
        """The time the next `tick` evaluates at."""
        return self.now + timedelta(seconds=self.client.app.state.runtime.settings.alert_eval_seconds)

    def tick(self, steps: int = 1) -> dict:
        rt = self.client.app.state.runtime
        result = {}
        for _ in range(steps):
            self.now += timedelta(seconds=rt.settings.alert_eval_seconds)
            result = jobs.tick(rt.sessions, rt.settings, rt.secretbox, self._publish, now=self.now)
        return result

    def later(self, seconds: float) -> dict:
        """Move the clock without evaluating rules (none is due): group timers and retries only."""
        rt = self.client.app.state.runtime
        self.now += timedelta(seconds=seconds)
        return jobs.tick(rt.sessions, rt.settings, rt.secretbox, self._publish, now=self.now)


def post(account, path: str, body: dict, status: int = 201) -> dict:
    r = account.client.post(path, json=body, headers=account.headers)
    assert r.status_code == status, r.text
    return r.json() if r.content else {}


def machine(account, name: str = "web-1", status: str = "running") -> dict:
    """A hand-tracked container record (the member's own)."""
    return post(account, "/api/resources", {"name": name, "resource_type": "container", "status": status})


def set_status(account, resource_id: int, status: str) -> None:
    r = account.client.put(f"/api/resources/{resource_id}", json={"status": status}, headers=account.headers)
    assert r.status_code == 200, r.text


def active(account, path: str = "/api/alerts") -> list[dict]:
    r = account.client.get(path, headers=account.headers)
    assert r.status_code == 200, r.text
    return r.json()["alerts"]
