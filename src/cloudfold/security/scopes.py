"""Scopes (seed 000): read < write < admin, and the roles that grant them."""

from __future__ import annotations

from enum import Enum


class Scope(str, Enum):
    read = "read"
    write = "write"
    admin = "admin"


class Role(str, Enum):
    viewer = "viewer"
    member = "member"
    admin = "admin"


ROLE_SCOPES: dict[str, frozenset[str]] = {
    Role.viewer.value: frozenset({"read"}),
    Role.member.value: frozenset({"read", "write"}),
    Role.admin.value: frozenset({"read", "write", "admin"}),
}


def scopes_for_role(role: str) -> frozenset[str]:
    return ROLE_SCOPES.get(role, frozenset())
