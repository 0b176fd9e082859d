"""Runtime settings: environment variables (``CLOUDFOLD_*``) over an optional TOML file.

The file is named by ``CLOUDFOLD_CONFIG``; without it ``<data_dir>/cloudfold.toml`` is read
when present. Nothing here holds a secret by default: keys are generated into the data
directory on first run (see :mod:`cloudfold.datadir`) unless given.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from limits import parse as parse_rate
from pydantic import Field, NonNegativeInt, ValidationInfo, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from cloudfold import rfc1918


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "cloudfold"


def _config_file() -> Path | None:
    explicit = os.environ.get("CLOUDFOLD_CONFIG")
    if explicit:
        return Path(explicit)
    data_dir = Path(os.environ.get("CLOUDFOLD_DATA_DIR") or default_data_dir())
    candidate = data_dir / "cloudfold.toml"
    return candidate if candidate.exists() else None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CLOUDFOLD_", extra="ignore")

    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str | None = None  # default: SQLite file in data_dir
    secret_key: str | None = None  # JWT signing key; default: generated into data_dir
    credentials_key: str | None = None  # Fernet key ring, newest first; default: data_dir file
    credentials_dir: Path | None = None  # the only place credentials_path may point into
    redis_url: str | None = None
    docker_host: str | None = None  # checked by /health/ready once configured
    templates_file: Path | None = None  # TOML or JSON: templates to add or override, and the featured ones

    jwt_ttl_minutes: int = Field(60, ge=1)
    login_key_ttl_days: int = Field(30, ge=1)
    reset_token_ttl_minutes: int = Field(30, ge=1)
    idempotency_ttl_hours: int = Field(24, ge=1)

    principal_cache_seconds: float = Field(5.0, ge=0, le=60)  # API-key principals; 0: off (see principal_cache)
    rate_limit_default: str = "100/minute"
    rate_limit_auth: str = "5/minute"
    rate_limit_actions: str = "5/minute"
    rate_limit_login_account: str = "5/15minute"  # failed logins per account (email), on top of per IP

    signup: Literal["open", "invite", "closed"] = "open"  # who may create an account through the API
    audit_sample_seconds: float = Field(5.0, gt=0)  # how often sampled anonymous refusals are written
    trusted_proxies: list[str] = Field(default_factory=list)
    cors_origins: list[str] = Field(default_factory=list)
    max_body_bytes: int = Field(1_048_576, ge=1024)
    # destinations non-admins may reach although the egress rule refuses them (loopback, private,
    # link-local, metadata, this server): CIDRs and/or exact host names, e.g. ["10.0.0.0/8", "pve.lan"]
    egress_allow: list[str] = Field(default_factory=list)

    notifier: Literal["outbox", "smtp"] = "outbox"
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_from: str = "cloudfold@localhost"
    smtp_starttls: bool = False
    public_url: str = "http://localhost:8000"

    job_workers: int = Field(4, ge=1, le=64)
    housekeeping_interval_seconds: int = Field(3600, ge=1)
    schedule_tick_seconds: int = Field(15, ge=1)  # how often due syncs and health checks are looked for
    sync_lock_stale_seconds: int = Field(300, ge=1)  # a sync silent this long is presumed dead
    # crash safety (domain/workers.py, domain/localcloud/reconcile.py): process heartbeats, and
    # how often half-made engine objects and orphans are looked for
    worker_heartbeat_seconds: float = Field(2.0, gt=0, le=60)
    worker_stale_seconds: float = Field(15.0, gt=0)  # a process silent this long is presumed dead
    reconcile_interval_seconds: int = Field(60, ge=1)
    health_degraded_ms: float = Field(1000.0, gt=0)  # a provider answering slower than this is "degraded"
    # an open WebSocket re-checks its credential this often (closed with 4401 once it no longer holds)
    ws_recheck_seconds: float = Field(5.0, gt=0, le=300)
    ws_auth_timeout_seconds: float = Field(5.0, gt=0, le=60)  # wait for a first-message credential
    auto_register_local: bool = True  # register the `local` account when a container engine is found
    log_level: str = "INFO"

    # seed 003's local cloud: VPCs without a CIDR get the next free block of this pool
    local_vpc_pool: str = "10.100.0.0/16"
    local_vpc_prefix: int = Field(24, ge=8, le=28)
    local_publish_ip: str = "127.0.0.1"  # where instances' ports are published on the host
    publish_port_range: str = "20000-29999"  # the host ports members may publish ("LOW-HIGH"); admins any
    # seed 003's caches (issue 13, domain/caches): the Redis image `cloudfold images build` makes, and
    # how long a new cache's Redis has to answer before the create fails and is undone
    cache_image: str = "cloudfold/redis:7"
    cache_start_timeout_seconds: float = Field(20.0, gt=0, le=300)

    # alerts and notifications (issue 10, package C: domain/alerts): how often rules are
    # evaluated, Alertmanager's grouping defaults, and delivery retries (exponential backoff)
    alert_eval_seconds: int = Field(30, ge=1)
    alert_group_wait_seconds: float = Field(30.0, ge=0)  # a new group waits this long for more alerts
    alert_group_interval_seconds: float = Field(300.0, ge=0)  # changes to a notified group wait this long
    alert_repeat_interval_seconds: float = Field(14400.0, ge=0)  # a still-firing group is told again after
    alert_delivery_attempts: int = Field(5, ge=1, le=20)
    alert_delivery_backoff_seconds: float = Field(30.0, ge=0)  # first retry; doubles, capped at one hour
    alert_delivery_timeout_seconds: float = Field(10.0, gt=0, le=120)
    # metric history (issue 10, package B: domain/metrics): sampling, retention, /metrics access
    metrics_sample_seconds: int = Field(30, ge=5)  # how often each account's machines are sampled
    metrics_backoff_max_seconds: int = Field(600, ge=5)  # a failing engine or cloud is retried at most this far apart
    metrics_raw_retention_hours: int = Field(48, ge=1)
    metrics_5m_retention_days: int = Field(30, ge=1)
    metrics_1h_retention_days: int = Field(365, ge=1)
    metrics_prune_interval_seconds: int = Field(3600, ge=1)
    metrics_event_seconds: float = Field(10.0, ge=0)  # at most one metrics.update per machine this often
    # issue 13: autoscaling groups (domain/autoscaling/): how often every group is reconciled, and the
    # window of metric history a target-CPU policy averages over
    autoscaling_interval_seconds: int = Field(15, ge=1)
    autoscaling_cpu_window_seconds: int = Field(300, ge=30, le=86400)
    metrics_scrape_token: str | None = None  # a bearer token Prometheus may scrape /metrics with (else admins only)
    # monitors and the probe engine (issue 10, package A: domain/monitors)
    monitor_engine: bool = True  # run the probe loop in this process (it claims due monitors from the database)
    monitor_max_concurrency: int = Field(500, ge=1, le=20000)  # probes (connections) in flight at once
    monitor_claim_batch: int = Field(500, ge=1, le=10000)  # monitors claimed per database round trip
    monitor_tick_seconds: float = Field(0.5, gt=0, le=30)  # how often due monitors are looked for
    monitor_retry_seconds: int = Field(10, ge=1, le=3600)  # a failing monitor is re-checked this soon before "down"
    monitor_jitter_seconds: float = Field(5.0, ge=0, le=3600)  # a new monitor's first check is spread over this
    monitor_min_interval_seconds: int = Field(20, ge=1)  # shortest interval a monitor may ask for
    monitor_reconcile_seconds: int = Field(60, ge=1)  # how often auto ping/SSH monitors follow the inventory
    monitor_history_days: int = Field(31, ge=1)  # check history kept (uptime goes up to 30 days)
    monitor_ca_file: Path | None = None  # extra CA certificates (PEM) HTTPS probes trust besides the system's

    # load balancers and the gateway (issue 13: cloudfold.proxy, one HAProxy for all of them)
    proxy_bin: str = "/usr/sbin/haproxy"  # the HAProxy binary cloudfold starts and supervises
    lb_bind: str = "127.0.0.1"  # the address load balancer and gateway listeners bind
    lb_port_range: str = "30000-30999"  # ports given to load balancers that name none ("LOW-HIGH")
    gateway_port: int = Field(8480, ge=0, le=65535)  # the gateway listener's port (0: no gateway)
    proxy_supervise_seconds: int = Field(5, ge=1)  # how often the proxy is checked (restarted when dead)

    # per-user quotas (domain/quotas): limits over the built-in defaults, e.g. {"vpcs": 3}
    quota_defaults: dict[str, NonNegativeInt] = Field(default_factory=dict)

    @field_validator("rate_limit_default", "rate_limit_auth", "rate_limit_actions", "rate_limit_login_account")
    @classmethod
    def _valid_rate(cls, value: str) -> str:
        parse_rate(value)  # raises ValueError on a malformed limit such as "5 per"
        return value

    @field_validator("local_vpc_pool")
    @classmethod
    def _valid_pool(cls, value: str) -> str:
        import ipaddress

        net = ipaddress.IPv4Network(value)  # raises ValueError on a malformed or host-bits-set CIDR
        if not rfc1918.contains(net):
            raise ValueError(f"local_vpc_pool {value} is not inside a private range (RFC 1918: {rfc1918.NAMES})")
        return value

    @field_validator("publish_port_range", "lb_port_range")
    @classmethod
    def _valid_port_range(cls, value: str, info: ValidationInfo) -> str:
        low, sep, high = value.partition("-")
        if not (sep and low.strip().isdigit() and high.strip().isdigit()
                and 1 <= int(low) <= int(high) <= 65535):
            raise ValueError(f"{info.field_name} {value!r} is not LOW-HIGH with 1 <= LOW <= HIGH <= 65535")
        return f"{int(low)}-{int(high)}"

    @property
    def lb_ports(self) -> range:
        low, _, high = self.lb_port_range.partition("-")
        return range(int(low), int(high) + 1)

    @property
    def publish_ports(self) -> range:
        low, _, high = self.publish_port_range.partition("-")
        return range(int(low), int(high) + 1)

    @field_validator("egress_allow")
    @classmethod
    def _valid_egress_allow(cls, value: list[str]) -> list[str]:
        import ipaddress

        for entry in value:
            try:
                ipaddress.ip_network(entry.strip(), strict=False)
            except ValueError:
                if not entry.strip() or any(c in entry for c in "/:@ "):
                    raise ValueError(f"egress_allow entry {entry!r} is neither a CIDR nor a host name") from None
        return [e.strip() for e in value]

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        path = _config_file()
        if path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'cloudfold.db'}"

    def public(self) -> dict[str, Any]:
        """Settings safe to show: every secret-bearing field removed."""
        hidden = {"secret_key", "credentials_key", "smtp_password", "database_url", "redis_url"}
        return {k: v for k, v in self.model_dump(mode="json").items() if k not in hidden}
