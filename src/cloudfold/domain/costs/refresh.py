"""`cloudfold prices refresh`: ask an AWS account's Price List API for every AWS size and region
of the catalogue and write the catalogue, so refreshed, to `prices.json` in the data directory
(the shipped file stays the default). Sizes the API does not know keep their shipped price;
nothing is written when the API cannot be reached."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.orm import Session

from cloudfold.domain import accounts
from cloudfold.domain.costs import catalogue
from cloudfold.errors import BadRequest


@dataclass(frozen=True)
class Refreshed:
    path: Path
    updated: int
    unknown: list[str]  # "region/type" the API had no price for (shipped price kept)


def refresh_aws(session: Session, box, settings, account_ref: str, out: Path | None = None) -> Refreshed:
    account = accounts.get(session, None, account_ref)  # the CLI is the operator: every account
    if account.provider_type != "aws":
        raise BadRequest(f"{account.slug} is not an AWS account")
    data = copy.deepcopy(catalogue.prices())
    sizes = data["sizes"]["aws"]
    regions = sorted({r for s in sizes.values() for r in s["hourly"]})
    updated, unknown = 0, []
    with accounts.driver(account, box, settings) as driver:
        for region in regions:
            types = [t for t, s in sizes.items() if region in s["hourly"]]
            found = driver.prices(types, region)
            for t in types:
                if t in found:
                    sizes[t]["hourly"][region] = found[t]
                    updated += 1
                else:
                    unknown.append(f"{region}/{t}")
    today = datetime.now(UTC).date().isoformat()
    data["as_of"] = today
    data["source"] = f"AWS Price List API (GetProducts, account {account.slug}) on {today}; others as shipped"
    path = out or Path(settings.data_dir) / catalogue.REFRESHED_NAME
    path.write_text(json.dumps(data, indent=2))
    return Refreshed(path, updated, unknown)

