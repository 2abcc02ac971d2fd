"""The official GHL OpenAPI specs (v2 and v3), as the simulator's contract.

The files are the ones vendored with the project (integrations/connectors/ghl/spec/, see
its README: GoHighLevel/highlevel-api-docs). The simulator reads them as data, never the
connector's code: which operations exist, at which path, with which `Version` values,
scopes and token kinds, what a request must carry and what a response looks like.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings

SPEC_DIR = Path(settings.BASE_DIR) / "integrations" / "connectors" / "ghl" / "spec"
METHODS = ("get", "post", "put", "delete", "patch")


@cache
def _common(version: str) -> dict[str, Any]:
    path = SPEC_DIR / ("v3/common" if version == "v3" else "common") / "common-schemas.json"
    return json.loads(path.read_text())


@cache
def load(version: str, stem: str) -> dict[str, Any]:
    return json.loads((SPEC_DIR / version / f"{stem}.json").read_text())


def stems() -> list[str]:
    return sorted(p.stem for p in (SPEC_DIR / "v2").glob("*.json"))


@dataclass
class Doc:
    """One spec document and the version it belongs to (for $refs into common)."""

    spec: dict[str, Any]
    version: str

    def resolve(self, node: Any) -> Any:
        seen = 0
        while isinstance(node, dict) and "$ref" in node and seen < 20:
            target, _, pointer = node["$ref"].partition("#")
            doc = _common(self.version) if target else self.spec
            for part in pointer.lstrip("/").split("/"):
                doc = doc[part]
            node = doc
            seen += 1
        return node

    def merged(self, schema: Any) -> dict[str, Any]:
        """allOf folded into one object schema."""
        schema = self.resolve(schema) or {}
        if "allOf" not in schema:
            return schema
        out: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
        for part in schema["allOf"]:
            part = self.merged(part)
            out["properties"].update(part.get("properties") or {})
            out["required"] += part.get("required") or []
            if part.get("example") is not None and "example" not in out:
                out["example"] = part["example"]
        out["properties"].update(schema.get("properties") or {})
        return out


@dataclass
class SpecOp:
    """One operation of one version."""

    doc: Doc
    stem: str
    path: str
    method: str
    op: dict[str, Any]

    @property
    def operation_id(self) -> str:
        return self.op["operationId"]

    @property
    def versions(self) -> list[str]:
        """The Version header values this operation accepts."""
        for param in self.op.get("parameters", []):
            if param.get("in") == "header" and param.get("name") == "Version":
                schema = param.get("schema") or {}
                return [str(v) for v in schema.get("enum") or [schema.get("default")] if v]
        if self.doc.version == "v3":
            return ["v3"]
        # get-email-by-id declares no Version: the file's dated version applies.
        return ["2021-04-15" if self.stem in ("calendars", "conversations") else "2021-07-28"]

    @property
    def security(self) -> tuple[list[str], list[str]]:
        scopes: list[str] = []
        kinds: list[str] = []
        for entry in self.op.get("security") or []:
            for scheme, values in entry.items():
                kinds.append(scheme)
                scopes += [v for v in values if v not in scopes]
        return scopes, kinds

    def params(self, where: str) -> list[dict[str, Any]]:
        return [p for p in self.op.get("parameters", []) if p.get("in") == where]

    def body_schema(self) -> dict[str, Any] | None:
        content = (self.op.get("requestBody") or {}).get("content") or {}
        schema = (content.get("application/json") or {}).get("schema")
        return self.doc.merged(schema) if schema is not None else None

    def success(self) -> tuple[int, dict[str, Any] | None, dict[str, Any]]:
        """(status, JSON schema or None, headers) of the first 2xx answer."""
        for status in sorted(self.op.get("responses") or {}):
            if status.startswith("2"):
                response = self.doc.resolve(self.op["responses"][status])
                content = response.get("content") or {}
                schema = (content.get("application/json") or {}).get("schema")
                return int(status), schema, response.get("headers") or {}
        return 200, None, {}


@dataclass
class Route:
    """A method and path with what each version says about it."""

    method: str
    path: str
    pattern: re.Pattern[str]
    names: list[str]
    literal: tuple[int, ...]  # 1 per literal segment: literal paths win over {params}
    by_version: dict[str, SpecOp] = field(default_factory=dict)

    @property
    def v2(self) -> SpecOp | None:
        return self.by_version.get("v2")

    def versions(self) -> set[str]:
        allowed: set[str] = set()
        for op in self.by_version.values():
            allowed.update(op.versions)
        return allowed

    def for_version(self, version: str) -> SpecOp:
        if version == "v3" and "v3" in self.by_version:
            return self.by_version["v3"]
        return self.by_version.get("v2") or next(iter(self.by_version.values()))


def _segments(path: str) -> list[str]:
    return [s for s in path.strip("/").split("/") if s]


def _route(method: str, path: str) -> Route:
    segments = _segments(path)
    names: list[str] = []
    parts = []
    for segment in segments:
        match = re.fullmatch(r"\{(\w+)\}", segment)
        if match:
            names.append(match.group(1))
            parts.append(r"([^/]+)")
        else:
            parts.append(re.escape(segment))
    pattern = re.compile("^/" + "/".join(parts) + "/?$")
    literal = tuple(0 if s.startswith("{") else 1 for s in segments)
    return Route(method.upper(), path, pattern, names, literal)


@cache
def routes() -> list[Route]:
    table: dict[tuple[str, str], Route] = {}
    for version in ("v2", "v3"):
        for stem in stems():
            try:
                spec = load(version, stem)
            except FileNotFoundError:
                continue
            doc = Doc(spec, version)
            for path, methods in spec.get("paths", {}).items():
                for method, op in methods.items():
                    if method not in METHODS or not isinstance(op, dict):
                        continue
                    key = (method.upper(), "/" + "/".join(_segments(path)))
                    route = table.get(key) or _route(method, path)
                    table[key] = route
                    route.by_version[version] = SpecOp(doc, stem, path, method, op)
    return list(table.values())


def match(method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    """The route of a request (literal segments beat parameters) and its path values."""
    best: tuple[Route, dict[str, str]] | None = None
    for route in routes():
        if route.method != method:
            continue
        found = route.pattern.match(path)
        if found is None:
            continue
        if best is None or route.literal > best[0].literal:
            best = (route, dict(zip(route.names, found.groups(), strict=True)))
    return best


def path_known(path: str) -> bool:
    return any(route.pattern.match(path) for route in routes())


def allowed_versions(method: str, path: str) -> set[str] | None:
    """The Version values the spec allows for a request, or None when no spec has it."""
    found = match(method, path)
    return found[0].versions() if found else None


# --- schemas: checking values and making samples --------------------------------------

TYPES = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
}


def check(doc: Doc, schema: Any, value: Any, where: str = "", depth: int = 0) -> list[str]:
    """What is wrong with `value` under `schema` (OpenAPI 3.0: nullable, enum, required)."""
    schema = doc.merged(schema)
    if not schema or depth > 12:
        return []
    if value is None:
        return [] if schema.get("nullable") else [f"{where or 'value'} must not be null"]
    for key in ("oneOf", "anyOf"):
        if key in schema:
            options = [check(doc, s, value, where, depth + 1) for s in schema[key]]
            return [] if any(not o for o in options) else options[0]
    kind = schema.get("type") or ("object" if "properties" in schema else None)
    if kind == "object" and not schema.get("properties") and "additionalProperties" not in schema:
        # NestJS's Swagger writes `any` as a bare {"type": "object"} (associations'
        # firstObjectLabel: "object", example "student"): anything goes.
        kind = None
    if kind == "array" and schema.get("items") == {"type": "array"}:
        # PipelinesResponseSchema.stages: "array of array", said of a list of stage
        # objects: the spec does not describe the items.
        return [] if isinstance(value, list) else [f"{where or 'value'} must be a array"]
    if kind in TYPES:
        ok = isinstance(value, TYPES[kind]) and not (
            kind in ("integer", "number") and isinstance(value, bool)
        )
        if not ok:
            return [f"{where or 'value'} must be a {kind}"]
    if schema.get("enum") and value not in schema["enum"]:
        allowed = ", ".join(str(v) for v in schema["enum"])
        return [f"{where or 'value'} must be one of the following values: {allowed}"]
    problems: list[str] = []
    if kind == "array":
        for n, item in enumerate(value):
            problems += check(doc, schema.get("items") or {}, item, f"{where}[{n}]", depth + 1)
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        for name in schema.get("required") or []:
            if name not in value:
                problems.append(f"{_join(where, name)} should not be empty")
        for name, item in value.items():
            if name in props:
                problems += check(doc, props[name], item, _join(where, name), depth + 1)
            elif isinstance(schema.get("additionalProperties"), dict):
                problems += check(
                    doc, schema["additionalProperties"], item, _join(where, name), depth + 1
                )
    return problems


def _join(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def sample(doc: Doc, schema: Any, depth: int = 0, name: str = "") -> Any:
    """A value valid under `schema`: its example when the example is valid, else one made
    from the type (enums take their first value; unset optional fields are left out)."""
    schema = doc.merged(schema)
    if not schema:
        return {}
    example = schema.get("example")
    if example is not None and not check(doc, schema, example):
        return example
    for key in ("oneOf", "anyOf"):
        if key in schema:
            return sample(doc, schema[key][0], depth + 1, name)
    if schema.get("enum"):
        return schema["enum"][0]
    kind = schema.get("type") or ("object" if "properties" in schema else "string")
    if kind == "object":
        out: dict[str, Any] = {}
        required = set(schema.get("required") or [])
        for prop, sub in (schema.get("properties") or {}).items():
            if depth >= 4 and prop not in required:
                continue
            out[prop] = sample(doc, sub, depth + 1, prop)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict) and not out and depth < 4:
            out["key"] = sample(doc, extra, depth + 1, "key")
        return out
    if kind == "array":
        if depth >= 4:
            return []
        return [sample(doc, schema.get("items") or {"type": "string"}, depth + 1, name)]
    if kind == "boolean":
        return True
    if kind in ("integer", "number"):
        return schema.get("default") if isinstance(schema.get("default"), int) else 1
    if schema.get("format") == "date-time" or name.lower().endswith(("date", "at", "time")):
        return _now()
    if isinstance(schema.get("default"), str):
        return schema["default"]
    return f"sample-{name}" if name else "sample"


def envelope(doc: Doc, schema: Any) -> tuple[str | None, str, dict[str, Any]]:
    """Where the record(s) sit in a response: (key or None for the body, "list" | "one",
    the record's schema)."""
    schema = doc.merged(schema)
    props = schema.get("properties") or {}
    arrays, objects = [], []
    for key, sub in props.items():
        resolved = doc.merged(sub)
        if resolved.get("type") == "array":
            items = doc.merged(resolved.get("items") or {})
            if items.get("type") == "object" or items.get("properties"):
                arrays.append((key, items))
        elif resolved.get("properties"):
            objects.append((key, resolved))
    if len(arrays) == 1:
        return arrays[0][0], "list", arrays[0][1]
    # One object next to a few flags ({opportunity}, {business, success}, {contact, new,
    # traceId}) is an envelope; one object among many fields (a message and its meta) is
    # a field of the record.
    if not arrays and len(objects) == 1 and len(props) <= 4:
        return objects[0][0], "one", objects[0][1]
    return None, "one", schema


def fit(doc: Doc, schema: Any, value: Any, depth: int = 0) -> Any:
    """`value` with the fields its schema does not declare left out (where the schema
    lists its properties): GHL answers what its response DTO declares, no more."""
    schema = doc.merged(schema)
    if depth > 12 or not schema or "oneOf" in schema or "anyOf" in schema:
        return value
    if isinstance(value, list):
        items = schema.get("items")
        return [fit(doc, items, v, depth + 1) for v in value] if items else value
    if not isinstance(value, dict):
        return value
    props = schema.get("properties") or {}
    extra = schema.get("additionalProperties")
    if not props:
        return value
    out = {}
    required = set(schema.get("required") or [])
    for key, item in value.items():
        if key in props:
            out[key] = fit(doc, props[key], item, depth + 1)
        elif extra not in (None, False) or key in required:
            # (a field required but not declared: CategoryResponseDTO's name)
            out[key] = item
    return out


def fit_response(method: str, path: str, version: str, status: int, body: Any) -> Any:
    """The body of a hand-written view's answer, fitted to the operation's schema."""
    found = match(method, path)
    if found is None:
        return body
    op = found[0].for_version(version)
    response = (op.op.get("responses") or {}).get(str(status))
    if response is None:
        return body
    content = op.doc.resolve(response).get("content") or {}
    schema = (content.get("application/json") or {}).get("schema")
    return fit(op.doc, schema, body) if schema is not None else body
