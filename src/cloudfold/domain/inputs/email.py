"""E-mail addresses as self-hosters use them: the syntax is email-validator's (no DNS), and
the special-use names of home and office networks (`.local`, `.lan`, `.internal`,
`.home.arpa`) are accepted; the other special-use names (`localhost`, `invalid`, `onion`,
`test`, the rest of `.arpa`) stay refused.

email-validator documents SPECIAL_USE_DOMAIN_NAMES as the list to change for this; `.lan`
and `.internal` were never on it. Changed once, when this module is imported, so every
e-mail field of the process (Pydantic's EmailStr too) answers the same.
"""

from __future__ import annotations

from typing import Annotated

import email_validator
from pydantic import AfterValidator, EmailStr

SELF_HOSTED_DOMAINS = ("local", "lan", "internal", "home.arpa")

email_validator.SPECIAL_USE_DOMAIN_NAMES[:] = [
    d for d in email_validator.SPECIAL_USE_DOMAIN_NAMES if d not in ("local", "arpa")]


def _no_other_arpa(value: str) -> str:
    domain = value.rpartition("@")[2].lower()
    if (domain == "arpa" or domain.endswith(".arpa")) and not domain.endswith(".home.arpa"):
        raise ValueError("value is not a valid email address: the part after the @-sign is a special-use "
                         "or reserved name that cannot be used with email.")
    return value


Email = Annotated[EmailStr, AfterValidator(_no_other_arpa)]
