"""When something made now for a number of days expires: keys, login keys, invitations."""

from __future__ import annotations

from datetime import datetime, timedelta

from cloudfold.db.base import utcnow


def after(days: int | None) -> datetime | None:
    """The expiry of something made now that lasts ``days`` days; None (never) without days."""
    return utcnow() + timedelta(days=days) if days else None
