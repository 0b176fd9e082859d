"""Drivers register by provider type. Each provider module is imported lazily, so a missing
optional SDK only affects that provider (its health says so)."""

from __future__ import annotations

import importlib
from typing import Any

from cloudfold.drivers.base import AccountSpec, Driver, DriverNotImplemented

PROVIDER_TYPES = ("local", "aws", "proxmox", "gcp", "azure", "oci", "cloudflare")

# provider type -> "module:Class"
_MODULES = {
    "local": "cloudfold.drivers.local.driver:LocalDriver",
    "aws": "cloudfold.drivers.aws.driver:AwsDriver",
    "proxmox": "cloudfold.drivers.proxmox.driver:ProxmoxDriver",
    "gcp": "cloudfold.drivers.pending:GcpDriver",
    "azure": "cloudfold.drivers.pending:AzureDriver",
    "oci": "cloudfold.drivers.pending:OciDriver",
    "cloudflare": "cloudfold.drivers.pending:CloudflareDriver",
}


def driver_class(provider_type: str) -> type[Driver]:
    target = _MODULES.get(provider_type)
    if target is None:
        raise KeyError(provider_type)
    module_name, cls_name = target.split(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise DriverNotImplemented(f"driver for {provider_type} not installed: {exc.name}") from exc
    return getattr(module, cls_name)


def open_driver(spec: AccountSpec) -> Driver:
    return driver_class(spec.provider_type)(spec)


def validate(provider_type: str, credentials: dict[str, Any], config: dict[str, Any]) -> None:
    try:
        cls = driver_class(provider_type)
    except DriverNotImplemented:
        return  # cannot check shapes without the SDK; health will say the driver is missing
    cls.validate(credentials, config)
