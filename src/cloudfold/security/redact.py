"""Keep secrets out of text that is written down (log lines, audit details): API keys
(``cfk_…``), invitation tokens (``cfi_…``), JWTs, bearer credentials and the values of
credential-carrying query parameters are replaced by a marker."""

from __future__ import annotations

import re
from typing import Any

MARK = "[redacted]"
_QUERY = re.compile(r"(?i)([?&;](?:token|access_token|api_key|apikey|key|invite_token|password)=)[^&\s\"'#]*")
_BEARER = re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]+")
_PREFIXED = re.compile(r"\b(cf[ki]_)[A-Za-z0-9_-]{4,}")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")


def redact(text: str) -> str:
    if not text:
        return text
    text = _QUERY.sub(lambda m: m.group(1) + MARK, text)
    text = _BEARER.sub(lambda m: m.group(1) + MARK, text)
    text = _PREFIXED.sub(lambda m: m.group(1) + MARK, text)
    return _JWT.sub(MARK, text)


def redact_value(value: Any) -> Any:
    """``redact`` applied to every string inside a JSON-like value."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: redact_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_value(v) for v in value]
    return value
