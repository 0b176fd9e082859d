"""Read-only driver checks against LIVE cloud accounts, run only when their credentials are
in the environment (CI has none, so these are skipped there, and the skip says why):

- AWS: CLOUDFOLD_LIVE_AWS_ACCESS_KEY, CLOUDFOLD_LIVE_AWS_SECRET_KEY, optional CLOUDFOLD_LIVE_AWS_REGION
- Proxmox: CLOUDFOLD_LIVE_PVE_HOST, CLOUDFOLD_LIVE_PVE_USER, CLOUDFOLD_LIVE_PVE_TOKEN_NAME,
  CLOUDFOLD_LIVE_PVE_TOKEN_VALUE, optional CLOUDFOLD_LIVE_PVE_VERIFY_SSL=false

They only ping and list: nothing is started, stopped or created.
"""

from __future__ import annotations

import os

import pytest

from cloudfold.drivers import registry
from cloudfold.drivers.base import AccountSpec


def _env(*names: str) -> dict[str, str]:
    missing = [n for n in names if not os.environ.get(n)]
    if missing:
        pytest.skip(f"live account not configured: set {', '.join(missing)} to run this against a real cloud")
    return {n: os.environ[n] for n in names}


def _check(spec: AccountSpec) -> None:
    driver = registry.open_driver(spec)
    try:
        driver.ping()
        for page in driver.pages():
            for item in page:
                assert item.kind in driver.kinds or item.kind in ("storage", "dns_zone", "dns_record", "volume")
                assert item.external_id and item.status
    finally:
        driver.close()


def test_live_aws_account_lists():
    env = _env("CLOUDFOLD_LIVE_AWS_ACCESS_KEY", "CLOUDFOLD_LIVE_AWS_SECRET_KEY")
    region = os.environ.get("CLOUDFOLD_LIVE_AWS_REGION", "us-east-1")
    _check(AccountSpec(id="live-aws", provider_type="aws", region=region,
                       credentials={"access_key": env["CLOUDFOLD_LIVE_AWS_ACCESS_KEY"],
                                    "secret_key": env["CLOUDFOLD_LIVE_AWS_SECRET_KEY"]},
                       config={"regions": [region]}))


def test_live_proxmox_account_lists():
    env = _env("CLOUDFOLD_LIVE_PVE_HOST", "CLOUDFOLD_LIVE_PVE_USER", "CLOUDFOLD_LIVE_PVE_TOKEN_NAME",
               "CLOUDFOLD_LIVE_PVE_TOKEN_VALUE")
    verify = os.environ.get("CLOUDFOLD_LIVE_PVE_VERIFY_SSL", "true").lower() != "false"
    _check(AccountSpec(id="live-pve", provider_type="proxmox", region=None,
                       credentials={"user": env["CLOUDFOLD_LIVE_PVE_USER"],
                                    "token_name": env["CLOUDFOLD_LIVE_PVE_TOKEN_NAME"],
                                    "token_value": env["CLOUDFOLD_LIVE_PVE_TOKEN_VALUE"]},
                       config={"host": env["CLOUDFOLD_LIVE_PVE_HOST"], "verify_ssl": verify}))
