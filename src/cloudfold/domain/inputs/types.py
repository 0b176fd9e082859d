"""Pydantic annotated types for request schemas: `FreeForm` (a JSON object within the
limits of checks.py), `StrMap` (string to string, e.g. env, tags, labels: the same limits),
`PlainText` (a name or path without control characters; add Field(max_length=…))."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, WrapValidator

from cloudfold.domain.inputs.checks import check_freeform, check_plain_text


def _before_parsing(value: Any, handler: Any) -> Any:
    # Checked before Pydantic's own validation walks the value, so its recursion guard
    # never meets a deeper value than the limit allows.
    return handler(check_freeform(value))

FreeForm = Annotated[dict[str, Any], WrapValidator(_before_parsing)]
StrMap = Annotated[dict[str, str], WrapValidator(_before_parsing)]
PlainText = Annotated[str, AfterValidator(check_plain_text)]
