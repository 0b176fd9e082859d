"""Shapes of the account faces: seed 001 providers and seed 002 credentials."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from cloudfold.domain.inputs import FreeForm, PlainText, check_freeform


class ProviderCreate(BaseModel):
    id: str | None = Field(default=None, max_length=100, description="Chosen id, e.g. my-oci (default: generated)")
    provider_type: str = Field(max_length=32, description="local, aws, proxmox, gcp, azure, oci or cloudflare")
    display_name: PlainText = Field(min_length=1, max_length=200)
    region: PlainText | None = Field(default=None, max_length=64)
    credentials_path: PlainText | None = Field(default=None, max_length=500,
                                         description="A file inside CLOUDFOLD_CREDENTIALS_DIR (JSON or INI)")
    credentials: FreeForm | None = Field(default=None, description="Inline credentials; stored encrypted, never returned")
    config: FreeForm | None = Field(default=None, description="Driver options, e.g. endpoint_url, docker_host, regions")


class ProviderUpdate(BaseModel):
    display_name: PlainText | None = Field(default=None, min_length=1, max_length=200)
    region: PlainText | None = Field(default=None, max_length=64)
    credentials_path: PlainText | None = Field(default=None, max_length=500)
    credentials: FreeForm | None = None
    config: FreeForm | None = None
    is_active: bool | None = None


class ProviderHealth(BaseModel):
    provider_id: str
    provider_type: str
    status: str
    latency_ms: float | None
    error: str | None
    last_check: datetime | None


class ProviderOut(BaseModel):
    id: str
    provider_type: str
    display_name: str
    region: str | None
    credentials_path: str | None
    has_credentials: bool
    config: dict[str, Any]
    is_active: bool
    created_at: datetime
    updated_at: datetime
    health: ProviderHealth
    last_sync_at: datetime | None
    last_sync_status: str | None
    last_sync_error: str | None
    sync_failures: int
    next_sync_after: datetime | None


class CredentialCreate(BaseModel):
    """Seed 002: `provider`, `name`, optional `region`, and the provider's own fields
    (aws: access_key, secret_key; azure: tenant_id, client_id, client_secret, subscription_id;
    gcp: service_account_json, project_id)."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"additionalProperties": True})
    provider: str = Field(max_length=32)
    name: PlainText = Field(min_length=1, max_length=200)
    region: PlainText | None = Field(default=None, max_length=64)

    @model_validator(mode="after")
    def _extra_within_limits(self) -> CredentialCreate:
        check_freeform(self.model_extra or {})  # the provider's own fields are free-form
        return self


class CredentialOut(BaseModel):
    id: int
    provider: str
    name: str
    region: str | None
    is_active: bool
    created_at: datetime
