"""Field mapping: declarative rules run through named, pure transforms. Never eval'd.

A mapping is a list of rules:

    {"target": "email", "source": "trigger.email", "transforms": [{"name": "lower"}]}
    {"target": "full_name", "sources": ["trigger.firstName", "trigger.lastName"],
     "transforms": [{"name": "join", "sep": " "}]}
    {"target": "tags", "const": ["from-ghl"]}
    {"target": "customFields[id=abc].field_value", "source": "trigger.company"}
    {"target": "contactId", "source": "steps.find.contacts.0.id", "required": True,
     "message": "no HighLevel contact matches {trigger.match}"}

Paths are dotted; `name[key=value]` selects the element of a list whose `key` equals
`value` (GHL custom fields: `trigger.customFields[id=f1].value`). A source that is
missing yields nothing (the target is left out) unless `required` or `default` says
otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

import phonenumbers

MISSING: Any = object()
_SEGMENT = re.compile(r"^(?P<name>[^\[\]]+)(\[(?P<key>[^=\]]+)=(?P<value>[^\]]*)\])?$")


class MappingError(Exception):
    """A mapping cannot be applied to this record; the message says which field and why."""


# --- paths ---------------------------------------------------------------------------
def _segments(path: str) -> list[re.Match[str]]:
    parts = []
    for raw in path.split("."):
        match = _SEGMENT.match(raw)
        if match is None:
            raise MappingError(f"bad path segment {raw!r} in {path!r}")
        parts.append(match)
    return parts


def get_path(data: Any, path: str) -> Any:
    node = data
    for seg in _segments(path):
        name, key, value = seg["name"], seg["key"], seg["value"]
        if isinstance(node, dict):
            node = node.get(name, MISSING)
        elif isinstance(node, list) and name.isdigit():
            index = int(name)
            node = node[index] if index < len(node) else MISSING
        else:
            return MISSING
        if node is MISSING or node is None:
            return MISSING if node is MISSING else None
        if key is not None:
            if not isinstance(node, list):
                return MISSING
            node = next(
                (item for item in node if isinstance(item, dict) and str(item.get(key)) == value),
                MISSING,
            )
            if node is MISSING:
                return MISSING
    return node


def set_path(data: dict[str, Any], path: str, value: Any) -> None:
    segments = _segments(path)
    node: Any = data
    for i, seg in enumerate(segments):
        last = i == len(segments) - 1
        name, key, sel = seg["name"], seg["key"], seg["value"]
        if key is None:
            if last:
                node[name] = value
                return
            node = node.setdefault(name, {})
            continue
        items = node.setdefault(name, [])
        element = next(
            (it for it in items if isinstance(it, dict) and str(it.get(key)) == sel), None
        )
        if element is None:
            element = {key: sel}
            items.append(element)
        if last:
            element.update(value if isinstance(value, dict) else {"value": value})
            return
        node = element


# --- transforms ----------------------------------------------------------------------
def _text(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _e164(value: Any, region: str = "US") -> Any:
    if value in (None, ""):
        return value
    try:
        number = phonenumbers.parse(str(value), region)
    except phonenumbers.NumberParseException as exc:
        raise MappingError(f"{value!r} is not a phone number ({exc})") from exc
    if not phonenumbers.is_possible_number(number):
        raise MappingError(f"{value!r} is not a possible phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _split_name(value: Any, part: str = "first") -> Any:
    if not isinstance(value, str):
        return value
    pieces = value.strip().split(None, 1)
    if part == "first":
        return pieces[0] if pieces else ""
    return pieces[1] if len(pieces) > 1 else ""


def _join(value: Any, sep: str = " ") -> Any:
    if isinstance(value, list):
        return sep.join(str(v) for v in value if v not in (None, "", MISSING))
    return value


def _date_format(value: Any, format: str = "%Y-%m-%d") -> Any:
    if value in (None, ""):
        return value
    if isinstance(value, int | float):
        moment = datetime.fromtimestamp(value / 1000 if value > 1e11 else value)
    else:
        try:
            moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError as exc:
            raise MappingError(f"{value!r} is not a date") from exc
    return moment.strftime(format)


def _value_map(value: Any, map: dict[str, Any] | None = None, fallback: Any = MISSING) -> Any:
    table = map or {}
    key = str(value) if value is not None else ""
    if key in table:
        return table[key]
    return value if fallback is MISSING else fallback


def _split(value: Any, sep: str = ",") -> Any:
    if isinstance(value, str):
        return [piece.strip() for piece in value.split(sep) if piece.strip()]
    return value


TRANSFORMS: dict[str, Callable[..., Any]] = {
    "trim": _text,
    "lower": lambda v: v.lower() if isinstance(v, str) else v,
    "upper": lambda v: v.upper() if isinstance(v, str) else v,
    "title": lambda v: v.title() if isinstance(v, str) else v,
    "e164": _e164,
    "split_name": _split_name,
    "join": _join,
    "split": _split,
    "date_format": _date_format,
    "value_map": _value_map,
    "to_string": lambda v: "" if v is None else str(v),
    "first": lambda v: (v[0] if v else None) if isinstance(v, list) else v,
}
# Transforms that take arguments, with the arguments they accept.
TRANSFORM_ARGS: dict[str, set[str]] = {
    "e164": {"region"},
    "split_name": {"part"},
    "join": {"sep"},
    "split": {"sep"},
    "date_format": {"format"},
    "value_map": {"map", "fallback"},
}


# --- validation and application ------------------------------------------------------
def validate(mapping: Any) -> list[str]:
    """Readable problems with a mapping (empty when it is valid). Run on save."""
    if not isinstance(mapping, list):
        return ["a mapping is a list of rules"]
    problems: list[str] = []
    targets: set[str] = set()
    for n, rule in enumerate(mapping, 1):
        where = f"rule {n}"
        if not isinstance(rule, dict) or not isinstance(rule.get("target"), str):
            problems.append(f"{where}: needs a target field")
            continue
        where = f"rule {n} ({rule['target']})"
        if rule["target"] in targets:
            problems.append(f"{where}: the target is mapped twice")
        targets.add(rule["target"])
        given = [k for k in ("source", "sources", "const") if k in rule]
        if len(given) != 1:
            problems.append(f"{where}: give exactly one of source, sources or const")
        for path in [rule.get("source"), *list(rule.get("sources") or []), rule["target"]]:
            if path is None:
                continue
            try:
                _segments(str(path))
            except MappingError as exc:
                problems.append(f"{where}: {exc}")
        for transform in rule.get("transforms", []):
            name = transform.get("name") if isinstance(transform, dict) else None
            if name not in TRANSFORMS:
                problems.append(f"{where}: unknown transform {name!r}")
                continue
            extra = set(transform) - {"name"} - TRANSFORM_ARGS.get(name, set())
            if extra:
                problems.append(f"{where}: {name} does not take {', '.join(sorted(extra))}")
    return problems


def explain(message: str, context: dict[str, Any]) -> str:
    """A rule's own sentence for a missing value, `{path}`s filled from the context."""

    def value(match: re.Match[str]) -> str:
        found = get_path(context, match.group(1))
        return "" if found is MISSING or found is None else str(found)[:200]

    return re.sub(r"\{([A-Za-z0-9_.\[\]=-]+)\}", value, message)


def apply(mapping: list[dict[str, Any]], context: dict[str, Any]) -> dict[str, Any]:
    """Build the target record from the context; MappingError says what is wrong."""
    problems = validate(mapping)
    if problems:
        raise MappingError("; ".join(problems))
    out: dict[str, Any] = {}
    for rule in mapping:
        target = rule["target"]
        if "const" in rule:
            value = rule["const"]
        elif "sources" in rule:
            values = [get_path(context, p) for p in rule["sources"]]
            value = [v for v in values if v is not MISSING]
            if not value:
                value = MISSING
        else:
            value = get_path(context, rule["source"])
        if value is MISSING or value is None or value == "":
            if "default" in rule:
                value = rule["default"]
            elif rule.get("required"):
                if rule.get("message"):
                    raise MappingError(explain(str(rule["message"]), context))
                source = rule.get("source") or rule.get("sources")
                raise MappingError(
                    f"required field {target!r} has no value: {source} is missing or empty "
                    "in the source record"
                )
            elif value is MISSING:
                continue
        for transform in rule.get("transforms", []):
            args = {k: v for k, v in transform.items() if k != "name"}
            value = TRANSFORMS[transform["name"]](value, **args)
        if rule.get("required") and value in (None, "", []):
            if rule.get("message"):
                raise MappingError(explain(str(rule["message"]), context))
            raise MappingError(f"required field {target!r} is empty after its transforms")
        set_path(out, target, value)
    return out
