"""The mapping table: target fields, source fields of a sample, suggestions, row ⇄ rule."""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from typing import Any

from integrations.connectors.base import Operation
from integrations.models import Connection
from integrations.sync import mapping

# Transforms offered in the chooser: value → label.
TRANSFORM_CHOICES: list[tuple[str, str]] = [
    ("", "—"),
    ("trim", "trim spaces"),
    ("lower", "lower case"),
    ("upper", "upper case"),
    ("title", "Title Case"),
    ("trim+lower", "trim + lower case"),
    ("e164", "phone → E.164"),
    ("split_name(part=first)", "first word of a name"),
    ("split_name(part=last)", "rest of a name"),
    ("split(sep=,)", "split on commas → list"),
    ("join(sep=, )", "join a list with commas"),
    ("date_format(format=%Y-%m-%d)", "date → YYYY-MM-DD"),
    ("to_string", "to text"),
    ("first", "first item of a list"),
]
_CALL = re.compile(r"^(?P<name>\w+)(\((?P<args>[^)]*)\))?$")


def encode_transforms(transforms: list[dict[str, Any]]) -> str:
    parts = []
    for t in transforms or []:
        args = ",".join(f"{k}={v}" for k, v in t.items() if k != "name" and not isinstance(v, dict))
        parts.append(f"{t.get('name')}({args})" if args else str(t.get("name")))
    return "+".join(parts)


def decode_transforms(text: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for part in filter(None, (p.strip() for p in (text or "").split("+"))):
        match = _CALL.match(part)
        if match is None:
            out.append({"name": part})
            continue
        transform: dict[str, Any] = {"name": match["name"]}
        args = match["args"] or ""
        if args.startswith("sep="):  # a separator may itself be a comma
            transform["sep"] = args[4:]
        else:
            for pair in filter(None, args.split(",")):
                key, _, value = pair.partition("=")
                transform[key.strip()] = value
        out.append(transform)
    return out


@dataclass
class Row:
    target: str = ""
    source: str = ""
    const: str = ""
    transforms: str = ""
    default: str = ""
    required: bool = False

    @classmethod
    def from_rule(cls, rule: dict[str, Any]) -> Row:
        const = rule.get("const")
        return cls(
            target=str(rule.get("target", "")),
            source=str(rule.get("source") or "+".join(rule.get("sources") or [])),
            const="" if const is None else (const if isinstance(const, str) else json.dumps(const)),
            transforms=encode_transforms(rule.get("transforms") or []),
            default="" if "default" not in rule else _text(rule["default"]),
            required=bool(rule.get("required")),
        )

    def to_rule(self) -> dict[str, Any] | None:
        if not self.target.strip():
            return None
        rule: dict[str, Any] = {"target": self.target.strip()}
        if self.const.strip():
            rule["const"] = _value(self.const.strip())
        elif "+" in self.source:
            rule["sources"] = [p.strip() for p in self.source.split("+") if p.strip()]
        else:
            rule["source"] = self.source.strip()
        transforms = decode_transforms(self.transforms)
        if transforms:
            rule["transforms"] = transforms
        if self.default.strip():
            rule["default"] = _value(self.default.strip())
        if self.required:
            rule["required"] = True
        return rule


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _value(text: str) -> Any:
    """A constant as typed: JSON when it parses as a list/object/bool/number, else text."""
    if text[:1] in "[{" or text in ("true", "false") or re.fullmatch(r"-?\d+(\.\d+)?", text):
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


# The most mapping rows one step takes: far more fields than any app's record has. Every
# count that comes from a request is bounded, so a typed number cannot pin a worker.
MAX_ROWS = 500


def row_count(data: Any) -> int:
    """The posted row count, as a plain decimal number within 0..MAX_ROWS (else 0)."""
    raw = str(data.get("rows", "") or "")
    if not (raw.isascii() and raw.isdecimal()) or len(raw) > 6:
        return 0
    return min(int(raw), MAX_ROWS)


def rows_from_post(data: Any) -> list[Row]:
    rows = []
    for n in range(row_count(data) + 1):
        prefix = f"r{n}-"
        if f"{prefix}target" not in data:
            continue
        if data.get(f"{prefix}delete"):
            continue
        rows.append(
            Row(
                target=data.get(f"{prefix}target", ""),
                source=data.get(f"{prefix}source", ""),
                const=data.get(f"{prefix}const", ""),
                transforms=data.get(f"{prefix}transforms", ""),
                default=data.get(f"{prefix}default", ""),
                required=bool(data.get(f"{prefix}required")),
            )
        )
    return rows


def rules_of(rows: list[Row]) -> list[dict[str, Any]]:
    return [rule for row in rows if (rule := row.to_rule()) is not None]


@dataclass
class TargetField:
    name: str
    required: bool = False
    note: str = ""


def target_fields(target: Connection, op: Operation | None, object_type: str) -> list[TargetField]:
    """Fields the action writes; required ones from the catalog's body_required."""
    required = [f for f in (op.body_required if op else ()) if f != "locationId"]
    names = list(dict.fromkeys([*required, *target.connector.record_fields.get(object_type, ())]))
    hints = target.connector.required_hints
    fields = [TargetField(n, n in required, hints.get(n, "")) for n in names]
    # Custom fields of the target app, written as GHL writes them: {id, field_value}.
    for field_id, name in target.connector.custom_field_names(object_type).items():
        fields.append(TargetField(f"customFields[id={field_id}].field_value", False, name))
    return fields


@dataclass
class SourceField:
    path: str
    label: str
    example: str


def source_fields(
    sample: dict[str, Any] | None, custom_names: dict[str, str] | None = None
) -> list[SourceField]:
    """Source paths from a real record's keys; custom fields as `customFields[id=…].value`,
    labelled by name when the app told us the names."""
    names = custom_names or {}
    out: list[SourceField] = []
    for key, value in (sample or {}).items():
        if key == "customFields" and isinstance(value, list):
            for item in value:
                if isinstance(item, dict) and "id" in item:
                    path = f"trigger.customFields[id={item['id']}].value"
                    label = names.get(str(item["id"]), item["id"])
                    out.append(
                        SourceField(path, f"custom field {label}", _short(item.get("value")))
                    )
            continue
        if isinstance(value, dict):
            for sub, subvalue in value.items():
                if not isinstance(subvalue, dict | list):
                    out.append(
                        SourceField(f"trigger.{key}.{sub}", f"{key}.{sub}", _short(subvalue))
                    )
            continue
        out.append(SourceField(f"trigger.{key}", key, _short(value)))
    return out


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "…"


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


ALIASES = {"company": "companyname", "companyname": "company", "notes": "body"}


def suggest(target: str, sources: list[SourceField]) -> str:
    """The source path that looks like the target (firstName ↔ first_name), or ""."""
    wanted = _norm(target.split(".")[-1])
    by_norm = {_norm(s.label): s.path for s in sources if not s.label.startswith("custom")}
    if wanted in by_norm:
        return by_norm[wanted]
    if ALIASES.get(wanted) in by_norm:
        return by_norm[ALIASES[wanted]]
    close = difflib.get_close_matches(wanted, list(by_norm), n=1, cutoff=0.75)
    return by_norm[close[0]] if close else ""


def suggestions(
    rows: list[Row], fields: list[TargetField], sources: list[SourceField]
) -> dict[str, str]:
    """target → suggested source, for target fields no row maps yet."""
    mapped = {r.target for r in rows}
    out = {}
    for f in fields:
        if f.name in mapped:
            continue
        path = suggest(f.name, sources)
        if path:
            out[f.name] = path
    return out


@dataclass
class Check:
    problems: list[str]
    row_problems: dict[str, str]
    result: dict[str, Any] | None


def check(
    rules: list[dict[str, Any]], sample: dict[str, Any] | None, fields: list[TargetField]
) -> Check:
    """Validate the rules and apply them to the sample: the live preview."""
    problems = mapping.validate(rules)
    row_problems: dict[str, str] = {}
    for problem in problems:
        match = re.match(r"rule \d+ \((?P<target>[^)]*)\)", problem)
        if match:
            row_problems.setdefault(match["target"], problem.split(": ", 1)[-1])
    mapped = {r["target"] for r in rules}
    for f in fields:
        if f.required and f.name not in mapped:
            problems.append(f"{f.name} is required by this action and is not mapped")
    result = None
    if not mapping.validate(rules):
        try:
            result = mapping.apply(rules, {"trigger": sample or {}, "steps": {}})
        except mapping.MappingError as exc:
            problems.append(f"with the sample record: {exc}")
            match = re.search(r"field '([^']+)'", str(exc))
            if match:
                row_problems.setdefault(match[1], str(exc))
    return Check(problems, row_problems, result)
