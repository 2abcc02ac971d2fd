"""Validate a JSON answer against the official spec's response schema (jsonschema).

The vendored spec files (integrations/connectors/ghl/spec/) are registered under URIs that
keep their relative layout, so "../common/common-schemas.json#/…" `$ref`s resolve across
files as in the upstream repository (v2 → common/, v3 → v3/common/). OpenAPI 3.0's
`nullable` becomes JSON Schema's `null` type. `strict=True` also refuses fields the
schema does not declare, where the schema lists its properties.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from typing import Any

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from integrations.connectors.ghl.build_catalog import SPEC_DIR


def _uri(version: str, stem: str) -> str:
    return f"https://spec.example/{'v3/apps' if version == 'v3' else 'v2'}/{stem}.json"


def _convert(node: Any, strict: bool) -> Any:
    if isinstance(node, list):
        return [_convert(n, strict) for n in node]
    if not isinstance(node, dict):
        return node
    out = {
        k: (v if k in ("example", "examples", "enum") else _convert(v, strict))
        for k, v in node.items()
    }
    if (
        out.get("type") == "object"
        and not out.get("properties")
        and "additionalProperties" not in out
    ):
        # NestJS's Swagger writes `any` as a bare {"type": "object"} (e.g. associations'
        # firstObjectLabel, example "student"): the spec means any value.
        out.pop("type")
    if out.get("nullable"):
        kind = out.get("type")
        if isinstance(kind, str):
            out["type"] = [kind, "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
        if "$ref" in out or "allOf" in out or "oneOf" in out or "anyOf" in out:
            out = {"anyOf": [out, {"type": "null"}]}
    if "properties" in out and not isinstance(out["properties"], dict):
        out.pop("properties")
    if (
        strict
        and isinstance(out.get("properties"), dict)
        and out["properties"]
        and "additionalProperties" not in out
        and "allOf" not in out
    ):
        out["additionalProperties"] = False
    return out


@cache
def _registry(strict: bool) -> Registry:
    resources = []
    for version in ("v2", "v3"):
        for path in sorted((SPEC_DIR / version).glob("*.json")):
            doc = _convert(json.loads(path.read_text()), strict)
            resources.append((_uri(version, path.stem), Resource(doc, DRAFT7)))
    common = _convert(json.loads((SPEC_DIR / "common/common-schemas.json").read_text()), strict)
    resources.append(("https://spec.example/common/common-schemas.json", Resource(common, DRAFT7)))
    v3_common = _convert(
        json.loads((SPEC_DIR / "v3/common/common-schemas.json").read_text()), strict
    )
    resources.append(
        ("https://spec.example/v3/common/common-schemas.json", Resource(v3_common, DRAFT7))
    )
    return Registry().with_resources(resources)


NOT_LISTED = object()


def response_schema(version: str, stem: str, method: str, path: str, status: int) -> Any:
    """The JSON schema of that answer; None when the spec lists the status without a JSON
    schema (a file, or an undocumented body); NOT_LISTED when it does not list the status."""
    spec = json.loads((SPEC_DIR / version / f"{stem}.json").read_text())
    op = spec["paths"][path][method.lower()]
    response = op["responses"].get(str(status))
    if response is None:
        return NOT_LISTED
    schema = (response.get("content") or {}).get("application/json", {}).get("schema")
    return copy.deepcopy(schema)


def problems(
    version: str, stem: str, schema: Any, value: Any, *, strict: bool = False
) -> list[str]:
    """Messages of everything in `value` the schema does not allow ([] when valid)."""
    wrapped = {"$ref": f"{_uri(version, stem)}#/__check__"}
    registry = _registry(strict)
    base = registry.contents(_uri(version, stem))
    resource = Resource({**base, "__check__": _convert(schema, strict)}, DRAFT7)
    registry = registry.with_resource(_uri(version, stem), resource)
    validator = jsonschema.Draft7Validator(wrapped, registry=registry)
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '(root)'}: {error.message[:200]}"
        for error in validator.iter_errors(value)
    ]
