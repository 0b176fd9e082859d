"""Provider types whose credentials cloudfold registers and validates today, and whose
driver arrives in a later issue: every call reports "driver not implemented"."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from cloudfold.drivers.base import ACTIONS, Discovered, Driver, DriverNotImplemented, InvalidCredentials


class PendingDriver(Driver):
    # the provider's actions, declared so an action reaches the driver and answers "not implemented"
    actions: ClassVar[dict[str, frozenset[str]]] = {a: frozenset() for a in ACTIONS}

    def _missing(self) -> DriverNotImplemented:
        return DriverNotImplemented(f"driver for {self.provider_type} not implemented yet")

    def pages(self, kinds=None):
        raise self._missing()

    def get(self, kind: str, external_id: str) -> Discovered | None:
        raise self._missing()

    def act(self, kind: str, external_id: str, action: str, **options: Any) -> Discovered | None:
        raise self._missing()

    def ping(self) -> None:
        raise self._missing()


class GcpDriver(PendingDriver):
    provider_type = "gcp"
    credential_fields = ("service_account_json", "project_id")

    @classmethod
    def validate(cls, credentials: dict[str, Any], config: dict[str, Any]) -> None:
        super().validate(credentials, config)
        try:
            info = json.loads(credentials["service_account_json"])
        except (TypeError, ValueError):
            raise InvalidCredentials("gcp service_account_json is not valid JSON") from None
        if not isinstance(info, dict) or info.get("type") != "service_account":
            raise InvalidCredentials("gcp service_account_json must be a service account key (type service_account)")


class AzureDriver(PendingDriver):
    provider_type = "azure"
    credential_fields = ("tenant_id", "client_id", "client_secret", "subscription_id")


class OciDriver(PendingDriver):
    provider_type = "oci"
    credential_fields = ("user", "tenancy", "fingerprint", "key_content")


class CloudflareDriver(PendingDriver):
    provider_type = "cloudflare"
    credential_fields = ("api_token",)
