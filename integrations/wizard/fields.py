"""The mapping table: target fields, source fields of a sample, suggestions, row ⇄ rule."""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from integrations import safejson
from integrations.connectors.base import Operation
from integrations.models import Connection
from integrations.sync import mapping
from integrations.wizard import valuemap
from integrations.wizard.params import LinkLookup, RefPreview, preview_ref

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
    ("value_map", "value map (below)"),
]
_CALL = re.compile(r"^(?P<name>\w+)(\((?P<args>[^)]*)\))?$")


def _encode_text(transforms: list[dict[str, Any]]) -> str:
    parts = []
    for t in transforms:
        args = ",".join(f"{k}={v}" for k, v in t.items() if k != "name")
        parts.append(f"{t.get('name')}({args})" if args else str(t.get("name")))
    return "+".join(parts)


def encode_transforms(transforms: list[dict[str, Any]]) -> str:
    """The chooser's text (`trim+split_name(part=last)`); transforms whose arguments that
    text cannot carry (value_map's table, a `)` in a format) are kept as JSON instead."""
    transforms = list(transforms or [])
    if not transforms:
        return ""
    if all(isinstance(t, dict) for t in transforms):
        text = _encode_text(transforms)
        if decode_transforms(text) == transforms:
            return text
    return json.dumps(transforms, ensure_ascii=False)


def _args_ok(transform: dict[str, Any]) -> bool:
    """Arguments of a JSON-given transform have the types the transform takes."""
    for key, value in transform.items():
        if key == "name":
            continue
        if transform["name"] == "value_map" and key == "map":
            if not isinstance(value, dict):
                return False
        elif not (isinstance(value, str) or (key == "fallback" and not isinstance(value, list))):
            return False
        if isinstance(value, dict) and any(isinstance(v, dict | list) for v in value.values()):
            return False
    return True


def decode_transforms(text: str) -> list[dict[str, Any]]:
    text = (text or "").strip()
    if text.startswith("["):  # the JSON form of encode_transforms
        try:
            value = safejson.loads(text, max_depth=4)
        except ValueError:
            value = None
        if isinstance(value, list) and all(
            isinstance(t, dict) and isinstance(t.get("name"), str) and _args_ok(t) for t in value
        ):
            return value
        return [{"name": text[:60]}]  # reported as an unknown transform
    out: list[dict[str, Any]] = []
    for part in filter(None, (p.strip() for p in text.split("+"))):
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


def describe_transforms(text: str) -> str:
    """A short label for transforms the chooser does not list (e.g. a value map)."""
    labels = []
    for t in decode_transforms(text):
        args = ", ".join(
            f"{k}={v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)}"
            for k, v in t.items()
            if k != "name"
        )
        labels.append(f"{t['name'].replace('_', ' ')}({args})" if args else t["name"])
    label = " + ".join(labels)
    return label if len(label) <= 60 else label[:57] + "…"


# Keys of a rule the row edits; any other key a rule carries rides along untouched.
RULE_KEYS = {
    "target",
    "source",
    "sources",
    "const",
    "transforms",
    "default",
    "required",
    "ref",
    "only_on",
}
# The most keys a rule may carry beyond those (a bound for what a post may smuggle in).
MAX_EXTRA_KEYS = 20


@dataclass
class Row:
    target: str = ""
    source: str = ""
    const: str = ""
    transforms: str = ""
    default: str = ""
    required: bool = False
    # The value at `source` is an id of this object type in the source app (a reference).
    ref: str = ""
    # "create": the rule is used only when the record is created, not on updates.
    only_on: str = ""
    # Keys of the rule the row does not edit, as JSON (kept through a re-save).
    extra: str = ""
    # A value map: `from = to` lines and its "otherwise" value (integrations/wizard/valuemap).
    value_map: str = ""
    map_else: str = ""

    @classmethod
    def from_rule(cls, rule: dict[str, Any]) -> Row:
        const = rule.get("const")
        extra = {k: v for k, v in rule.items() if k not in RULE_KEYS}
        transforms, map_text, map_else = valuemap.split(list(rule.get("transforms") or []))
        return cls(
            target=str(rule.get("target", "")),
            source=str(rule.get("source") or "+".join(rule.get("sources") or [])),
            const="" if const is None else (const if isinstance(const, str) else json.dumps(const)),
            transforms=encode_transforms(transforms),
            value_map=map_text,
            map_else=map_else,
            default="" if "default" not in rule else _text(rule["default"]),
            required=bool(rule.get("required")),
            ref=str(rule.get("ref") or ""),
            only_on=str(rule.get("only_on") or ""),
            extra=json.dumps(extra, ensure_ascii=False) if extra else "",
        )

    @property
    def transforms_label(self) -> str:
        return describe_transforms(self.transforms)

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
        transforms = valuemap.join(transforms, self.value_map, self.map_else)
        if transforms:
            rule["transforms"] = transforms
        if self.default.strip():
            rule["default"] = _value(self.default.strip())
        if self.required:
            rule["required"] = True
        if self.ref.strip():
            rule["ref"] = self.ref.strip()
        if self.only_on.strip():
            rule["only_on"] = self.only_on.strip()
        for key, value in (extra_of(self.extra) or {}).items():
            rule.setdefault(key, value)
        return rule


def extra_of(text: str) -> dict[str, Any] | None:
    """A row's extra keys: a small JSON object of keys the row does not edit, else None."""
    if not text.strip():
        return {}
    try:
        value = safejson.loads(text, max_depth=8)
    except ValueError:
        return None
    if not isinstance(value, dict) or len(value) > MAX_EXTRA_KEYS or set(value) & RULE_KEYS:
        return None
    return value


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
                # The picker of the sample's fields, when used, replaces the typed path.
                source=data.get(f"{prefix}pick", "") or data.get(f"{prefix}source", ""),
                const=data.get(f"{prefix}const", ""),
                transforms=data.get(f"{prefix}transforms", ""),
                default=data.get(f"{prefix}default", ""),
                required=bool(data.get(f"{prefix}required")),
                ref=data.get(f"{prefix}ref", ""),
                only_on="create" if data.get(f"{prefix}only_on") else "",
                extra=data.get(f"{prefix}extra", ""),
                value_map=data.get(f"{prefix}value_map", ""),
                map_else=data.get(f"{prefix}map_else", ""),
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
    # The body fields the spec declares (GHL), after the record's usual ones.
    body = {f.name: f for f in (op.body_fields if op else ()) if f.name != "locationId"}
    names = list(
        dict.fromkeys([*required, *target.connector.record_fields.get(object_type, ()), *body])
    )
    hints = target.connector.required_hints
    fields = [
        TargetField(n, n in required, hints.get(n, "") or _spec_note(body.get(n))) for n in names
    ]
    # Custom fields of the target app, written as GHL writes them: {id, field_value}.
    for field_id, name in target.connector.custom_field_names(object_type).items():
        fields.append(TargetField(f"customFields[id={field_id}].field_value", False, name))
    return fields


def _spec_note(field: Any) -> str:
    """What the spec says of a body field: its choices (an enum), else its type."""
    if field is None:
        return ""
    if field.choices:
        return "one of: " + ", ".join(field.choices)
    return field.type if field.type != "string" else ""


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
    refs: list[RefPreview] = field(default_factory=list)


def _rule_problems(
    rules: list[dict[str, Any]], object_types: list[str] | None, allowed: set[str] | None
) -> list[str]:
    """What mapping.validate does not know: references, only_on, a tags step's one field."""
    problems = []
    for n, rule in enumerate(rules, 1):
        where = f"rule {n} ({rule.get('target')})"
        ref = rule.get("ref")
        if ref:
            if object_types is not None and ref not in object_types:
                known = ", ".join(object_types)
                problems.append(f"{where}: {ref!r} is not an object type of the app ({known})")
            if "source" not in rule or not rule.get("source"):
                problems.append(f"{where}: a reference reads its id from one source field")
        for transform in rule.get("transforms") or []:
            if isinstance(transform, dict) and transform.get(valuemap.UNREADABLE):
                lines = "; ".join(map(str, transform[valuemap.UNREADABLE]))
                problems.append(f"{where}: value map lines read `from = to`, not: {lines}")
        if rule.get("only_on") not in (None, "create"):
            problems.append(f"{where}: only_on can only be create")
        if allowed is not None and rule.get("target") not in allowed:
            problems.append(f"{where}: this step maps only {', '.join(sorted(allowed))}")
    return problems


def check(
    rules: list[dict[str, Any]],
    sample: dict[str, Any] | None,
    fields: list[TargetField],
    *,
    object_types: list[str] | None = None,
    lookup: LinkLookup | None = None,
    allowed: set[str] | None = None,
) -> Check:
    """Validate the rules and apply them to the sample: the live preview.

    A reference rule is shown as what the engine would write: the linked record's id when
    a link exists, else `contact:<id> → (the linked id in <app>)`; nothing is resolved by
    syncing and nothing is written.
    """
    problems = mapping.validate(rules) + _rule_problems(rules, object_types, allowed)
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
    refs: list[RefPreview] = []
    if not row_problems and not mapping.validate(rules):
        context = {"trigger": sample or {}, "steps": {}}
        bound = []
        for rule in rules:
            if not rule.get("ref"):
                bound.append(rule)
                continue
            ref = preview_ref(rule["target"], rule, context, lookup)
            if ref is None:
                bound.append({k: v for k, v in rule.items() if k != "ref"})  # missing: as is
                continue
            refs.append(ref)
            app = lookup.target if lookup else "the target app"
            bound.append({"target": rule["target"], "const": ref.shown(app)})
        try:
            result = mapping.apply(bound, context)
        except mapping.MappingError as exc:
            problems.append(f"with the sample record: {exc}")
            match = re.search(r"field '([^']+)'", str(exc))
            if match:
                row_problems.setdefault(match[1], str(exc))
    return Check(problems, row_problems, result, refs)
