"""A step's operation parameters (path and query: `contactId`, `taskId`, `calendarId`) in the
map step, and the references (a value that is another app's record id) of its preview.

A step's `params` hold, by name, a constant string, `{"source": path}` or
`{"source": path, "ref": "<object type>"}` (the engine writes the id of the record linked
to it). Keys starting with "_" (`_find`, `_when`, `_require_link`) are engine options: kept
untouched and never shown as parameters. The step's `target_id_param` is filled by the
engine with the linked record's id, so it is shown read-only and never stored.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from integrations.connectors.base import Operation
from integrations.models import Connection
from integrations.sync import links, mapping

# Offered as references when the source app declares no object types.
DEFAULT_OBJECT_TYPES = ("contact", "task", "note", "appointment")


def object_type_names(connection: Connection) -> list[str]:
    """The object types a reference may name: the source app's, with a fallback."""
    declared = getattr(connection.connector, "object_types", None) or {}
    return list(declared) or list(DEFAULT_OBJECT_TYPES)


class LinkLookup:
    """Read-only: the id, in the target app, of the record linked to a source app's id.

    The preview shows what a reference would become without writing or syncing anything.
    """

    def __init__(self, source: Connection, target: Connection) -> None:
        self.source, self.target = source, target
        self.cache: dict[tuple[str, str], str | None] = {}

    def find(self, object_type: str, source_id: str) -> str | None:
        key = (object_type, source_id)
        if key not in self.cache:
            side = links.find(object_type, self.source, source_id, self.target)
            self.cache[key] = side.target_record if side else None
        return self.cache[key]


@dataclass
class RefPreview:
    """One reference of the preview: a field or parameter, the source id, what it becomes."""

    name: str
    object_type: str
    source_id: str
    linked: str | None

    def shown(self, target: Any) -> str:
        if self.linked:
            return self.linked
        return f"{self.object_type}:{self.source_id} → (the linked id in {target})"


def preview_ref(
    name: str, spec: dict[str, Any], context: dict[str, Any], lookup: LinkLookup | None
) -> RefPreview | None:
    """What a reference reads from the sample (None when the sample has no value there)."""
    try:
        raw = mapping.get_path(context, str(spec.get("source") or ""))
    except mapping.MappingError:
        return None
    if raw is mapping.MISSING or raw in (None, "") or isinstance(raw, dict | list):
        return None
    linked = lookup.find(str(spec["ref"]), str(raw)) if lookup else None
    return RefPreview(name, str(spec["ref"]), str(raw), linked)


# The most parameters one step shows and takes from a post (operations have a handful).
MAX_PARAMS = 50
# Filled by the connector with the connection's account when left empty (GHL's location).
AUTO_FILLED = {"locationId"}


@dataclass
class ParamRow:
    name: str
    location: str = ""  # path | query ("" when the operation does not declare it)
    required: bool = False
    description: str = ""
    source: str = ""
    ref: str = ""
    const: str = ""
    fixed: bool = False  # the target_id_param: filled with the linked record's id
    declared: bool = True  # a parameter of the step's operation(s)

    def fill(self, spec: Any) -> None:
        if isinstance(spec, dict) and "source" in spec:
            self.source = str(spec.get("source") or "")
            self.ref = str(spec.get("ref") or "")
        elif spec is not None:
            self.const = spec if isinstance(spec, str) else json.dumps(spec)

    def spec(self) -> Any:
        """The value stored in the step's params, or None when the row binds nothing."""
        if self.const.strip():
            return self.const.strip()
        if self.source.strip():
            spec = {"source": self.source.strip()}
            if self.ref.strip():
                spec["ref"] = self.ref.strip()
            return spec
        return None


def param_rows(
    operations: list[Operation | None], params: dict[str, Any] | None, target_id_param: str
) -> list[ParamRow]:
    """One row per path/query parameter of the step's operations (create, then update),
    then the step's stored parameters no operation declares, bound as stored."""
    stored = {k: v for k, v in (params or {}).items() if not str(k).startswith("_")}
    rows: dict[str, ParamRow] = {}
    for op in operations:
        for p in op.params if op else ():
            if p.location not in ("path", "query"):
                continue
            row = rows.get(p.name)
            required = p.required and p.location == "path" and p.name not in AUTO_FILLED
            if row is None:
                described = p.description
                if getattr(p, "choices", ()):
                    described = f"{described} (one of: {', '.join(p.choices)})".strip()
                row = rows[p.name] = ParamRow(
                    p.name, p.location, required, described, fixed=p.name == target_id_param
                )
                row.fill(stored.get(p.name))
            row.required = row.required or required
    for name, spec in stored.items():
        if name not in rows:
            rows[name] = ParamRow(name, declared=False, fixed=name == target_id_param)
            rows[name].fill(spec)
    return list(rows.values())[:MAX_PARAMS]


def param_count(data: Any) -> int:
    """The posted parameter count, a plain decimal within 0..MAX_PARAMS (else 0)."""
    raw = str(data.get("params", "") or "")
    if not (raw.isascii() and raw.isdecimal()) or len(raw) > 6:
        return 0
    return min(int(raw), MAX_PARAMS)


def rows_from_post(data: Any, rows: list[ParamRow]) -> list[ParamRow]:
    """The rows as posted: values by name onto the rows the step has (names that are not
    the step's are ignored, so a post cannot add parameters). Without a `params` count in
    the post, the stored values stand."""
    if "params" not in data:
        return rows
    by_name = {r.name: r for r in rows if not r.fixed}
    posted = set()
    for n in range(param_count(data)):
        row = by_name.get(str(data.get(f"p{n}-name", "")))
        if row is None or row.name in posted:
            continue
        posted.add(row.name)
        row.source = str(data.get(f"p{n}-source", ""))
        row.ref = str(data.get(f"p{n}-ref", ""))
        row.const = str(data.get(f"p{n}-const", ""))
    for row in by_name.values():  # a row not posted was cleared (or never shown)
        if row.name not in posted:
            row.source = row.ref = row.const = ""
    return rows


def to_params(rows: list[ParamRow], old: dict[str, Any] | None) -> dict[str, Any]:
    """The step's params: the engine options as they were, then each bound row."""
    params = {k: v for k, v in (old or {}).items() if str(k).startswith("_")}
    for row in rows:
        spec = row.spec()
        if not row.fixed and spec is not None:
            params[row.name] = spec
    return params


def check_params(
    rows: list[ParamRow], object_types: list[str], operation: str
) -> tuple[list[str], dict[str, str]]:
    """Problems with the parameters: (sentences, name → problem)."""
    by_name: dict[str, str] = {}
    for row in rows:
        if row.fixed:
            continue
        problem = ""
        if row.const.strip() and row.source.strip():
            problem = "give a source field or a constant, not both"
        elif row.required and row.spec() is None:
            problem = f"a required path parameter of {operation}: give a source field or a constant"
        elif row.ref.strip() and not row.source.strip():
            problem = "a reference reads its id from a source field"
        elif row.ref.strip() and row.ref.strip() not in object_types:
            problem = f"{row.ref!r} is not an object type ({', '.join(object_types)})"
        elif row.source.strip():
            try:
                mapping._segments(row.source.strip())
            except mapping.MappingError as exc:
                problem = str(exc)
        if problem:
            by_name[row.name] = problem
    return [f"parameter {name}: {problem}" for name, problem in by_name.items()], by_name


@dataclass
class ParamPreview:
    name: str
    value: str
    ref: RefPreview | None = None


def preview_params(
    rows: list[ParamRow], sample: dict[str, Any] | None, lookup: LinkLookup | None
) -> list[ParamPreview]:
    """Each parameter as the sample would bind it (nothing resolved by syncing)."""
    context = {"trigger": sample or {}, "steps": {}}
    app = lookup.target if lookup else "the target app"
    out = []
    for row in rows:
        spec = row.spec()
        if row.fixed:
            out.append(ParamPreview(row.name, "the linked record's id (on update or delete)"))
        elif spec is None:
            out.append(ParamPreview(row.name, "—"))
        elif isinstance(spec, str):
            out.append(ParamPreview(row.name, spec))
        elif spec.get("ref"):
            ref = preview_ref(row.name, spec, context, lookup)
            shown = ref.shown(app) if ref else f"missing: {spec['source']} has no value"
            out.append(ParamPreview(row.name, shown, ref))
        else:
            try:
                value = mapping.get_path(context, spec["source"])
            except mapping.MappingError:
                value = mapping.MISSING
            shown = "missing" if value is mapping.MISSING else json.dumps(value, default=str)
            out.append(ParamPreview(row.name, shown))
    return out
