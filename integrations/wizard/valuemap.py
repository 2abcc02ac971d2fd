"""A value map as the mapping editor shows it: one `from = to` line per entry, and an
"otherwise" value. `to` (and "otherwise") is JSON when it reads as JSON (true, 3, ["a",
"b"], "quoted text", null), else plain text, so a re-saved map keeps its values' types."""

from __future__ import annotations

import json
import re
from typing import Any

MARKER = {"name": "value_map"}  # where in a row's transforms its map applies
MAX_ENTRIES = 500
UNREADABLE = "unreadable_lines"
_JSONISH = re.compile(r'^(\[.*\]|\{.*\}|".*"|true|false|null|-?\d+(\.\d+)?([eE][+-]?\d+)?)$', re.S)


def value_text(value: Any) -> str:
    """How a `to` value is written: plain text when it reads back as the same text."""
    if isinstance(value, str) and not _JSONISH.match(value.strip()) and value == value.strip():
        return value
    return json.dumps(value, ensure_ascii=False)


def text_value(text: str) -> Any:
    text = text.strip()
    if _JSONISH.match(text):
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


def to_text(table: dict[str, Any]) -> str:
    return "\n".join(f"{key} = {value_text(value)}" for key, value in table.items())


def from_text(text: str) -> tuple[dict[str, Any], list[str]]:
    """The map and the lines that are not `from = to`."""
    table: dict[str, Any] = {}
    bad: list[str] = []
    for line in (text or "").splitlines()[:MAX_ENTRIES]:
        if not line.strip():
            continue
        key, sep, value = line.partition(" = ")
        if not sep:
            key, sep, value = line.partition("=")
        if not sep or not key.strip():
            bad.append(line.strip()[:60])
            continue
        table[key.strip()] = text_value(value)
    return table, bad


def split(transforms: list[Any]) -> tuple[list[Any], str, str]:
    """A rule's transforms with its first value map replaced by MARKER, that map's text
    and its "otherwise" text ("" when it has none)."""
    for n, transform in enumerate(transforms):
        if (
            isinstance(transform, dict)
            and transform.get("name") == "value_map"
            and isinstance(transform.get("map"), dict)
            and set(transform) <= {"name", "map", "fallback"}
        ):
            otherwise = value_text(transform["fallback"]) if "fallback" in transform else ""
            rest = [*transforms[:n], dict(MARKER), *transforms[n + 1 :]]
            return rest, to_text(transform["map"]), otherwise
    return transforms, "", ""


def join(transforms: list[dict[str, Any]], text: str, otherwise: str) -> list[dict[str, Any]]:
    """Put the typed map where the marker is (or last); no map: drop the marker."""
    table, bad = from_text(text)
    out = [t for t in transforms if t != MARKER]
    if not table and not bad:
        return out
    transform: dict[str, Any] = {"name": "value_map", "map": table}
    if bad:  # refused on save (fields._rule_problems says which lines), never dropped
        transform[UNREADABLE] = bad
    if otherwise.strip():
        transform["fallback"] = text_value(otherwise)
    at = transforms.index(MARKER) if MARKER in transforms else len(out)
    return [*out[:at], transform, *out[at:]]
