"""Reading the RFC 3339 times engines report (Docker and Podman: nanoseconds, `Z` or an
offset), in one place: the driver's mapping and the domain's uptime both read them."""

from __future__ import annotations

import re
from datetime import datetime, timezone

STAMP = re.compile(r"^(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d)(\.\d+)?\s?(Z|[+-]\d\d:?\d\d)?")


def parse(text: str | None) -> datetime | None:
    """An aware UTC datetime, or None for an empty or unreadable time. Fractions beyond
    microseconds are cut; a time without a zone is taken as UTC."""
    match = STAMP.match(text or "")
    if match is None:
        return None
    whole, fraction, zone = match.groups()
    if zone in (None, "Z"):
        zone = "+00:00"
    elif ":" not in zone:
        zone = f"{zone[:3]}:{zone[3:]}"
    try:
        when = datetime.fromisoformat(whole.replace(" ", "T") + (fraction or "")[:7] + zone)
    except ValueError:
        return None
    return when.astimezone(timezone.utc)
