"""The process-wide objects one cloudfold process holds, built from Settings.

Nothing in here is shared between processes: state lives in the database (and, for rate
limits when configured, in Redis), so several API replicas and workers can run side by side.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from cloudfold import capabilities
from cloudfold.security.ratelimit import RateLimits
from cloudfold.datadir import ensure_data_dir, jwt_secret
from cloudfold.db.engine import make_engine, make_loop_engine, make_session_factory
from cloudfold.domain.costs import catalogue
from cloudfold.domain.events import EventBus, InProcessBus
from cloudfold.domain.principal_cache import PrincipalCache
from cloudfold.domain.refusal_samples import RefusalSampler
from cloudfold.jobs.queue import InProcessQueue, TaskQueue
from cloudfold.notify import make_notifier
from cloudfold.notify.base import Notifier
from cloudfold.security.secretbox import SecretBox
from cloudfold.settings import Settings


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    jwt_secret: str
    notifier: Notifier
    queue: TaskQueue
    limits: RateLimits
    secretbox: SecretBox
    events: EventBus
    refusals: RefusalSampler
    principals: PrincipalCache
    loop_engine: Engine | None = None  # SQLite: reads made inline on the event loop (api/deps.read)

    @classmethod
    def build(cls, settings: Settings) -> Runtime:
        ensure_data_dir(settings)
        catalogue.use_file(Path(settings.data_dir) / catalogue.REFRESHED_NAME)  # issue 11: refreshed prices
        engine = make_engine(settings.sqlalchemy_url)
        sessions = make_session_factory(engine)
        capabilities.load()  # each registers its jobs, ownership rules and quotas

        queue = InProcessQueue(settings, sessions)
        queue.every("housekeeping", settings.housekeeping_interval_seconds)
        queue.every("inventory.sync_due", settings.schedule_tick_seconds)
        queue.every("providers.health_due", settings.schedule_tick_seconds)
        queue.every("localcloud.reconcile", settings.reconcile_interval_seconds)
        queue.every("alerts.evaluate", settings.alert_eval_seconds)
        queue.every("metrics.sample_due", settings.metrics_sample_seconds)  # issue 10: metric history
        queue.every("metrics.prune", settings.metrics_prune_interval_seconds)
        if settings.monitor_engine:  # issue 10: the process that probes keeps auto monitors in line
            queue.every("monitors.reconcile", settings.monitor_reconcile_seconds)
        queue.every("monitors.prune", settings.housekeeping_interval_seconds)
        queue.every("costs.sync_due", settings.schedule_tick_seconds)  # issue 11: spending_sync_interval
        queue.every("budgets.enforce_due", settings.schedule_tick_seconds)  # issue 11: by budget_enforce_interval
        queue.every("autoscaling.reconcile", settings.autoscaling_interval_seconds)  # issue 13: groups
        queue.every("proxy.supervise", settings.proxy_supervise_seconds)  # issue 13: LBs and gateway on HAProxy
        secretbox = SecretBox.from_settings(settings)
        runtime = cls(
            settings=settings,
            engine=engine,
            sessions=sessions,
            jwt_secret=jwt_secret(settings),
            notifier=make_notifier(settings, sessions, secretbox),
            queue=queue,
            limits=RateLimits(settings),
            secretbox=secretbox,
            events=InProcessBus(),
            refusals=RefusalSampler(sessions, settings.audit_sample_seconds),
            principals=PrincipalCache(settings.principal_cache_seconds),
            loop_engine=make_loop_engine(settings.sqlalchemy_url),
        )
        queue.services = runtime
        return runtime

    def start(self) -> None:
        if self.settings.auto_register_local:
            from cloudfold.domain.accounts import ensure_local

            with self.sessions() as session:
                ensure_local(session, self.settings)
        self.queue.start()  # takes over from dead processes first (domain/workers.py)
        self.queue.enqueue("localcloud.reconcile")  # then finishes what they left half-made
        self.queue.enqueue("budgets.settle_lockdowns")  # issue 11: and settles lockdowns they were running
        self.refusals.start()
        if self.settings.monitor_engine and getattr(self, "probe_engine", None) is None:  # issue 10: probes
            from cloudfold.domain.monitors.engine import EngineThread

            self.probe_engine = EngineThread(self.sessions, self.settings, self.events)
            self.probe_engine.start()

    def close(self) -> None:
        engine, self.probe_engine = getattr(self, "probe_engine", None), None
        if engine is not None:
            engine.stop()
        self.principals.close()
        self.refusals.stop()
        self.queue.stop()
        self.engine.dispose()
        if self.loop_engine is not None:
            self.loop_engine.dispose()
