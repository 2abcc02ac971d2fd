"""JSON from outside (webhook bodies): bounded nesting, one error type.

`json.loads` recurses once per nesting level: a 4 KB body of 2,000 nested arrays raises
RecursionError, and a payload nested a few hundred levels deep would crash whatever walks
it later (mapping, templates, JSONField). Every untrusted body is parsed here.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings

DEFAULT_MAX_DEPTH = 64


class TooDeep(ValueError):
    """The JSON nests deeper than the limit."""


def max_depth() -> int:
    return int(getattr(settings, "WEBHOOK_MAX_JSON_DEPTH", DEFAULT_MAX_DEPTH))


def loads(data: bytes | str, *, max_depth: int | None = None) -> Any:
    """Parse UTF-8 JSON; raise ValueError (TooDeep when nested past `max_depth` levels,
    UnicodeDecodeError, JSONDecodeError) and never RecursionError."""
    limit = _max(max_depth)
    text = data.decode("utf-8") if isinstance(data, bytes | bytearray) else data
    try:
        value = json.loads(text)
    except RecursionError:
        raise TooDeep(f"JSON nested deeper than {limit} levels") from None
    if depth(value, limit) > limit:
        raise TooDeep(f"JSON nested deeper than {limit} levels")
    return value


def _max(value: int | None) -> int:
    return max_depth() if value is None else value


def depth(value: Any, stop: int | None = None) -> int:
    """Nesting depth of a parsed value (a scalar is 0, `[]` is 1), without recursion;
    stops counting once past `stop`."""
    deepest = 0
    stack = [(value, 1)] if isinstance(value, dict | list) else []
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        if stop is not None and deepest > stop:
            break
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, level + 1) for child in children if isinstance(child, dict | list))
    return deepest
