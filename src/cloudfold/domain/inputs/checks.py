"""The limits of free-form values and the plain-text rule, as plain functions raising
ValueError (Pydantic turns that into a field error; the faces answer 400 or 422).

A free-form value is JSON: objects, arrays, strings, numbers, booleans, null. Depth counts
containers inside each other (`{}` is 1, `{"a": []}` is 2); entries count every key and
array item of the whole value. The walk is iterative, so no nesting can exhaust the stack.
"""

from __future__ import annotations

import math
from typing import Any

MAX_DEPTH = 16
MAX_ENTRIES = 1000
MAX_KEY_LENGTH = 256
MAX_STRING_LENGTH = 16384

# C0 controls, DEL and C1 controls: never part of a name or a path.
_CONTROLS = {*range(0x00, 0x20), *range(0x7F, 0xA0)}
_CONTROL_TABLE = dict.fromkeys(_CONTROLS)


def check_plain_text(value: str) -> str:
    """Names and paths: no NUL, no control characters (newlines, escapes, DEL) at all."""
    if len(value.translate(_CONTROL_TABLE)) != len(value):
        raise ValueError("must not contain control characters (NUL, newline, escape, DEL…)")
    return value


def _check_string(value: str, what: str, limit: int) -> None:
    if len(value) > limit:
        raise ValueError(f"{what} longer than {limit} characters")
    if "\x00" in value:
        raise ValueError(f"{what} contains a NUL character")


def check_freeform(value: Any) -> Any:
    """Refuse a free-form value deeper than MAX_DEPTH, with more than MAX_ENTRIES keys and
    items, a key longer than MAX_KEY_LENGTH, a string longer than MAX_STRING_LENGTH, a NUL
    character, or a number JSON cannot hold (NaN, infinity). Returns the value unchanged."""
    entries = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            depth += 1
            if depth > MAX_DEPTH:
                raise ValueError(f"nested deeper than {MAX_DEPTH} levels")
            entries += len(item)
            if entries > MAX_ENTRIES:
                raise ValueError(f"more than {MAX_ENTRIES} keys and items in all")
            if isinstance(item, dict):
                for key in item:
                    _check_string(str(key), "a key", MAX_KEY_LENGTH)
                children = item.values()
            else:
                children = item
            stack.extend((child, depth) for child in children)
        elif isinstance(item, str):
            _check_string(item, "a string", MAX_STRING_LENGTH)
        elif isinstance(item, float) and not math.isfinite(item):
            raise ValueError("numbers must be finite (no NaN or Infinity)")
    return value
