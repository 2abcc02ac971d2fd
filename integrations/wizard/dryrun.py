"""What a step would write for a record, without writing: operation, payload, diff."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from integrations.connectors.base import ConnectorError
from integrations.models import Connection
from integrations.sync import links, mapping


@dataclass
class Change:
    field: str
    before: Any
    after: Any


@dataclass
class DryRun:
    step: str
    target: str
    operation: str
    action: str  # create | update | delete | call | error
    payload: dict[str, Any] | None = None
    target_id: str = ""
    found_by: str = ""
    changes: list[Change] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    error: str = ""


def _existing(target: Connection, step: dict[str, Any], payload: dict[str, Any]) -> tuple[str, Any]:
    """(id, record) of the target record a create would dedupe against (same email)."""
    find = (step.get("params") or {}).get("_find")
    if not find:
        return "", None
    params = {p: payload.get(f) for p, f in find.get("by", {}).items() if payload.get(f)}
    if not params:
        return "", None
    result = target.connector.call(find["operation"], **params)
    found = mapping.get_path(result, find.get("result_id_path", "id"))
    if found is mapping.MISSING or not found:
        return "", None
    record = mapping.get_path(result, find.get("result_id_path", "id").rpartition(".")[0])
    return str(found), (record if isinstance(record, dict) else None)


def _get(target: Connection, object_type: str, record_id: str, parent_id: str = "") -> Any:
    """The linked record as the target app has it now (None when it cannot be read)."""
    try:
        return target.connector.get_record(object_type, record_id, parent_id)
    except (ConnectorError, NotImplementedError):
        return None


def dry_run(
    flow: dict[str, Any], source: Connection, target: Connection, sample: dict[str, Any]
) -> list[DryRun]:
    out = []
    context = {"trigger": sample, "steps": {}}
    for step in flow.get("steps", []):
        result = DryRun(step["key"], str(target), step["operation"], "call")
        out.append(result)
        try:
            payload = mapping.apply(step.get("mapping") or [], context)
        except mapping.MappingError as exc:
            result.action, result.error = "error", f"Mapping failed: {exc}"
            continue
        result.payload = payload
        mode = step.get("record_mode") or ""
        if not mode:
            continue
        source_id = str(sample.get("id") or "")
        side = links.find(flow.get("object_type", "contact"), source, source_id, target)
        try:
            if mode == "delete":
                result.action = "delete" if side else "skip"
                result.target_id = side.target_record if side else ""
                continue
            current = None
            if side is not None:
                result.target_id, result.found_by = side.target_record, "linked record"
                current = _get(target, flow.get("object_type", "contact"), side.target_record)
            else:
                result.target_id, current = _existing(target, step, payload)
                result.found_by = "same email" if result.target_id else ""
        except ConnectorError as exc:
            result.action, result.error = "error", f"{target} answered: {exc.message}"
            continue
        if result.target_id:
            result.action = "update"
            result.operation = step.get("update_operation") or step["operation"]
            current = current if isinstance(current, dict) else {}
            for key, value in payload.items():
                before = current.get(key, mapping.MISSING)
                if before is mapping.MISSING:
                    before = None
                if before == value:
                    result.unchanged.append(key)
                else:
                    result.changes.append(Change(key, before, value))
        else:
            result.action = "create"
            result.changes = [Change(k, None, v) for k, v in payload.items()]
    return out
