"""What a request may hand to storage: free-form values (metadata, tags, labels, env,
config, credentials) within fixed limits, and plain text (names, paths) without control
characters, and e-mail addresses (`email.py`). `checks.py` holds the rules as plain functions (usable by any caller);
`types.py` wraps them as Pydantic annotated types that every face's schema uses, so a bad
value is refused while the request is parsed, before anything is stored."""

from cloudfold.domain.inputs.checks import (
    MAX_DEPTH,
    MAX_ENTRIES,
    MAX_KEY_LENGTH,
    MAX_STRING_LENGTH,
    check_freeform,
    check_plain_text,
)
from cloudfold.domain.inputs.email import SELF_HOSTED_DOMAINS, Email
from cloudfold.domain.inputs.types import FreeForm, PlainText, StrMap

__all__ = ["SELF_HOSTED_DOMAINS", "Email", "MAX_DEPTH", "MAX_ENTRIES", "MAX_KEY_LENGTH", "MAX_STRING_LENGTH", "FreeForm", "PlainText", "StrMap",
           "check_freeform", "check_plain_text"]
