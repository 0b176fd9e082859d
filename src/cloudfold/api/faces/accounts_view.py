"""Account -> face shapes (shared by the providers and credentials faces)."""

from __future__ import annotations

from cloudfold.api.faces.provider_schemas import CredentialOut, ProviderHealth, ProviderOut
from cloudfold.db.models import Account


def health_out(a: Account) -> ProviderHealth:
    return ProviderHealth(provider_id=a.slug, provider_type=a.provider_type, status=a.health_status,
                          latency_ms=a.health_latency_ms, error=a.health_error, last_check=a.health_checked_at)


def provider_out(a: Account) -> ProviderOut:
    return ProviderOut(
        id=a.slug, provider_type=a.provider_type, display_name=a.display_name, region=a.region,
        credentials_path=a.credentials_path, has_credentials=bool(a.credentials_sealed or a.credentials_path),
        config=a.config or {}, is_active=a.is_active, created_at=a.created_at, updated_at=a.updated_at,
        health=health_out(a), last_sync_at=a.last_sync_at, last_sync_status=a.last_sync_status,
        last_sync_error=a.last_sync_error, sync_failures=a.sync_failures, next_sync_after=a.next_sync_after,
    )


def credential_out(a: Account) -> CredentialOut:
    return CredentialOut(id=a.id, provider=a.provider_type, name=a.display_name, region=a.region,
                         is_active=a.is_active, created_at=a.created_at)
