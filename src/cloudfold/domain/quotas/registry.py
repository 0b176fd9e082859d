"""The quotas there are: each a name, a built-in default and a function that counts one
user's use of it. A capability adds its quota with one registration where it lives:

    @quotas.register("monitors", 10, "Uptime monitors")
    def _monitors(session, user_id): return session.scalar(select(func.count())...)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

Usage = Callable[[Session, int], float]


@dataclass(frozen=True)
class Quota:
    name: str
    default: int
    description: str
    usage: Usage


REGISTRY: dict[str, Quota] = {}


def register(name: str, default: int, description: str) -> Callable[[Usage], Usage]:
    """Decorate the function counting a user's use of quota ``name``."""

    def decorate(usage: Usage) -> Usage:
        if name in REGISTRY:
            raise ValueError(f"quota {name!r} is registered twice")
        REGISTRY[name] = Quota(name, default, description, usage)
        return usage

    return decorate
