"""AwsDriver: one AWS account through boto3, per configured region plus the global services."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any, ClassVar

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from cloudfold.drivers.aws import cloudwatch, costs, ec2, pricing, route53, s3
from cloudfold.drivers.aws.errors import is_not_found, translated
from cloudfold.drivers.base import (
    CostLine,
    Discovered,
    Driver,
    DriverError,
    InvalidCredentials,
    InvalidRequest,
    NotFound,
)

DEFAULT_REGION = "us-east-1"
GLOBAL_REGION = "us-east-1"  # S3 listing and Route 53 are served from here
COST_EXPLORER_REGION = "us-east-1"  # Cost Explorer has one endpoint, ce.us-east-1
REGIONAL_KINDS = ("vm", "network", "subnet", "volume")
GLOBAL_KINDS = ("storage", "dns_zone", "dns_record")


class AwsDriver(Driver):
    provider_type = "aws"
    kinds = ("vm", "network", "subnet", "volume", "storage", "dns_zone", "dns_record")
    credential_fields = ("access_key", "secret_key")
    optional_credential_fields = ("session_token",)
    config_fields = ("endpoint_url",)
    # stop: graceful (the OS shuts down) or `force` (EC2's Force: no flush, no shutdown); AWS
    # has no timeout of its own for either
    actions: ClassVar[dict[str, frozenset[str]]] = {
        "start": frozenset(), "stop": frozenset({"force"}), "reboot": frozenset(), "reset": frozenset(),
        "terminate": frozenset()}

    # CloudWatch figures of instances (cloudwatch.py); Cost Explorer's daily costs (costs.py)
    capabilities = frozenset({"metrics", "costs", "prices"})  # prices: the Price List API (pricing.py)
    page_size = 1000  # objects per yielded page (and MaxResults where the API allows it)
    waiter_delay = 5  # seconds between polls while `reset` waits for the stop
    waiter_attempts = 60

    def __init__(self, account) -> None:
        super().__init__(account)
        creds = account.credentials or {}
        config = account.config or {}
        self._unusable: str | None = None
        try:  # a malformed account fails every call; never fall back to the host's own AWS credentials
            self.validate(creds, config)
        except InvalidCredentials as exc:
            self._unusable = str(exc)
            creds, config = {}, {}
        self.endpoint_url: str | None = config.get("endpoint_url") or None
        self.regions: list[str] = list(config.get("regions") or [account.region or DEFAULT_REGION])
        self._botocore_config = Config(
            connect_timeout=config.get("timeout", 5),  # an unreachable endpoint fails fast
            read_timeout=config.get("read_timeout", 15),  # a 1000-instance page may take a while
            retries={"max_attempts": config.get("max_attempts", 2), "mode": "standard"},
            user_agent_extra="cloudfold",
            s3={"addressing_style": "path"} if self.endpoint_url else None,
        )
        self._session = boto3.session.Session(
            aws_access_key_id=creds.get("access_key"),
            aws_secret_access_key=creds.get("secret_key"),
            aws_session_token=creds.get("session_token") or None,
        )
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    # -- shape checks --------------------------------------------------------------
    @classmethod
    def validate(cls, credentials: dict[str, Any], config: dict[str, Any]) -> None:
        if not isinstance(credentials, dict):
            raise InvalidCredentials("aws credentials must be an object with access_key and secret_key")
        bad = [f for f in cls.credential_fields if not isinstance(credentials.get(f), str) or not credentials[f].strip()]
        if bad:
            raise InvalidCredentials(f"aws credentials need non-empty strings: {', '.join(bad)}")
        token = credentials.get("session_token")
        if token is not None and not isinstance(token, str):
            raise InvalidCredentials("aws session_token must be a string")
        config = config or {}
        if not isinstance(config, dict):
            raise InvalidCredentials("aws config must be an object")
        endpoint = config.get("endpoint_url")
        if endpoint is not None and (not isinstance(endpoint, str) or not endpoint.startswith(("http://", "https://"))):
            raise InvalidCredentials("aws endpoint_url must be an http:// or https:// URL")
        regions = config.get("regions")
        if regions is not None and (
            not isinstance(regions, list) or not regions or not all(isinstance(r, str) and r.strip() for r in regions)
        ):
            raise InvalidCredentials("aws regions must be a non-empty list of region names")
        for key in ("timeout", "read_timeout"):
            value = config.get(key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0):
                raise InvalidCredentials(f"aws {key} must be a positive number of seconds")
        attempts = config.get("max_attempts")
        if attempts is not None and (isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 1):
            raise InvalidCredentials("aws max_attempts must be a positive integer")

    # -- connection ----------------------------------------------------------------
    def client(self, service: str, region: str = GLOBAL_REGION):
        if self._unusable:
            raise DriverError(f"AWS account is misconfigured: {self._unusable}")
        key = (service, region)
        with self._lock:
            found = self._clients.get(key)
            if found is None:
                with translated():
                    found = self._session.client(service, region_name=region, endpoint_url=self.endpoint_url,
                                                 config=self._botocore_config)
                self._clients[key] = found
            return found

    def close(self) -> None:
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for c in clients:
            c.close()

    def metrics(self, external_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Each instance's newest CloudWatch figures, looked for in every configured region."""
        found: dict[str, dict[str, Any]] = {}
        with translated():
            for region in self.regions:
                found.update(cloudwatch.latest(self.client("cloudwatch", region), list(external_ids)))
        return found

    def costs(self, start: date, end: date) -> list[CostLine]:
        """Cost Explorer's daily unblended cost and usage by service (one global endpoint)."""
        with translated():
            return costs.daily(self.client("ce", COST_EXPLORER_REGION), start, end)

    def prices(self, instance_types: Sequence[str], region: str) -> dict[str, str]:
        """On-demand hourly USD prices (decimal text) of the instance types found in the Price List API."""
        with translated():
            return pricing.hourly_prices(self.client("pricing", pricing.PRICING_REGION), instance_types, region)

    def ping(self) -> None:
        """One cheap EC2 call per configured region: reachability and credentials."""
        with translated():
            for region in self.regions:
                self.client("ec2", region).describe_regions(RegionNames=[region])

    # -- reading -------------------------------------------------------------------
    def pages(self, kinds: tuple[str, ...] | None = None) -> Iterator[list[Discovered]]:
        wanted = [k for k in self.kinds if kinds is None or k in kinds]
        size = self.page_size
        regional = {"vm": ec2.instance_pages, "network": ec2.vpc_pages, "subnet": ec2.subnet_pages,
                    "volume": ec2.volume_pages}
        with translated():
            for region in self.regions:
                for kind in REGIONAL_KINDS:
                    if kind in wanted:
                        yield from regional[kind](self.client("ec2", region), region, size)
            if "storage" in wanted:
                yield from s3.bucket_pages(self.client("s3"), size)
            if "dns_zone" in wanted:
                yield from route53.zone_pages(self.client("route53"), size)
            if "dns_record" in wanted:
                yield from route53.record_pages(self.client("route53"), size)

    def get(self, kind: str, external_id: str) -> Discovered | None:
        with translated():
            if kind == "vm":
                found = self._locate(external_id)
                return ec2.instance(found[1], found[0]) if found else None
            if kind in ("network", "subnet", "volume"):
                lookup = {"network": ec2.get_vpc, "subnet": ec2.get_subnet, "volume": ec2.get_volume}[kind]
                for region in self.regions:
                    try:
                        hit = lookup(self.client("ec2", region), region, external_id)
                    except ClientError as exc:
                        if is_not_found(exc):
                            continue
                        raise
                    if hit is not None:
                        return hit
                return None
            if kind == "storage":
                return s3.get_bucket(self.client("s3"), external_id)
            if kind == "dns_zone":
                return route53.get_zone(self.client("route53"), external_id)
            if kind == "dns_record":
                return route53.get_record(self.client("route53"), external_id)
        return None  # kinds AWS does not have here (e.g. container)

    def _locate(self, instance_id: str) -> tuple[str, dict[str, Any]] | None:
        """(region, raw instance) of an instance in the configured regions, or None."""
        for region in self.regions:
            try:
                raw = ec2.describe_instance(self.client("ec2", region), instance_id)
            except ClientError as exc:
                if is_not_found(exc):
                    continue
                raise
            if raw is not None:
                return region, raw
        return None

    # -- actions -------------------------------------------------------------------
    def act(self, kind: str, external_id: str, action: str, **options: Any) -> Discovered | None:
        if kind != "vm":
            raise InvalidRequest(f"AWS: action {action!r} on {kind} is not supported")
        if action not in self.actions:
            raise InvalidRequest(f"AWS: action {action!r} is not supported")
        with translated():
            found = self._locate(external_id)
            if found is None:
                if action == "terminate":
                    return None  # already gone
                raise NotFound(f"AWS: instance {external_id} not found in {', '.join(self.regions)}")
            region = found[0]
            ec2_client = self.client("ec2", region)
            ids = [external_id]
            if action == "start":
                ec2_client.start_instances(InstanceIds=ids)
            elif action == "stop":
                ec2_client.stop_instances(InstanceIds=ids, Force=bool(options.get("force")))
            elif action == "reboot":
                ec2_client.reboot_instances(InstanceIds=ids)
            elif action == "terminate":
                ec2_client.terminate_instances(InstanceIds=ids)
            elif action == "reset":
                ec2_client.stop_instances(InstanceIds=ids, Force=True)
                ec2_client.get_waiter("instance_stopped").wait(
                    InstanceIds=ids, WaiterConfig={"Delay": self.waiter_delay, "MaxAttempts": self.waiter_attempts})
                ec2_client.start_instances(InstanceIds=ids)
            try:
                raw = ec2.describe_instance(ec2_client, external_id)
            except ClientError as exc:
                if not is_not_found(exc):
                    raise
                raw = None
        return ec2.instance(raw, region) if raw is not None else None
