"""TIMIFY's records as the engine and the wizard read them, and flat bodies as TIMIFY takes
them. Pure functions: no HTTP here.

Read: a customer keeps TIMIFY's keys and gets `customFields` ([{id, label, value}], the
wizard's shape for custom fields) and `phone`, `notes` from the default fields; an
appointment gets `startTime` / `endTime` in ISO 8601 (UTC) next to TIMIFY's `startDate`
(`YYYY-MM-DD HH:mm`) and `duration`.
Write: a flat body ({"firstName": …, "email": …, "<field id or label>": …,
"customFields": [{id, field_value}]}) becomes {"externalId", "customfields": [{id, value}]}.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from integrations.connectors.base import ConnectorError, ErrorKind

TIMIFY_FORMAT = "%Y-%m-%d %H:%M"
# Our flat names → TIMIFY default field ids (`defaultId` of /v1/customers/customfields).
DEFAULT_FIELDS = {
    "firstName": "firstName",
    "lastName": "lastName",
    "email": "email",
    "phone": "mobilePhone",
    "mobilePhone": "mobilePhone",
    "notes": "notes",
}


def _invalid(message: str) -> ConnectorError:
    return ConnectorError(message, permanent=True, kind=ErrorKind.VALIDATION)


def customer(record: Any, fields: list[dict[str, Any]] | None = None) -> Any:
    if not isinstance(record, dict):
        return record
    out = dict(record)
    values = out.get("customfields") if isinstance(out.get("customfields"), list) else []
    labels = {str(f.get("id")): f.get("label") for f in fields or [] if isinstance(f, dict)}
    out["customFields"] = [
        {
            "id": v.get("id"),
            "label": v.get("label") or labels.get(str(v.get("id"))),
            "value": v.get("value"),
        }
        for v in values
        if isinstance(v, dict)
    ]
    defaults = {
        str(f.get("defaultId")): str(f.get("id")) for f in fields or [] if f.get("defaultId")
    }
    by_id = {str(v.get("id")): v.get("value") for v in values if isinstance(v, dict)}
    for name in ("phone", "notes"):
        field_id = defaults.get(DEFAULT_FIELDS[name])
        if not out.get(name) and field_id and by_id.get(field_id):
            out[name] = by_id[field_id]
    return out


def appointment(record: Any, deleted: bool = False) -> Any:
    """Also `status` ("cancelled" for an event.deleted webhook, else "booked") and
    `hasNotes`: ours, derived for flows (TIMIFY's facts name no status field)."""
    if not isinstance(record, dict):
        return record
    out = dict(record)
    out["status"] = "cancelled" if deleted else str(out.get("status") or "booked")
    out["hasNotes"] = bool(str(out.get("notes") or "").strip())
    start = parse_timify(out.get("startDate"))
    if start is not None:
        out["startTime"] = iso(start)
        end = parse_timify(out.get("endDate"))
        if end is None and isinstance(out.get("duration"), int):
            end = start + timedelta(minutes=out["duration"])
        if end is not None:
            out["endTime"] = iso(end)
    return out


def iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_timify(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.strptime(value.strip(), TIMIFY_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


def to_timify_time(value: Any, name: str) -> str:
    """ISO 8601 or TIMIFY's own format → `YYYY-MM-DD HH:mm` (UTC). The minutes are kept:
    TIMIFY answers a start that is not on a 5-minute step with a clear 400."""
    if isinstance(value, str) and parse_timify(value) is not None:
        return value.strip()
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            parsed = None
        if parsed is not None:
            parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
            return parsed.astimezone(UTC).strftime(TIMIFY_FORMAT)
    raise _invalid(f"{name} must be a date and time (ISO 8601 or YYYY-MM-DD HH:mm), not {value!r}")


def customer_body(body: Any, fields: list[dict[str, Any]]) -> dict[str, Any]:
    """A flat body → TIMIFY's {"externalId", "customfields": [{id, value}]}."""
    if not isinstance(body, dict):
        raise _invalid("a TIMIFY customer is written from an object of fields")
    by_default = {str(f["defaultId"]): str(f["id"]) for f in fields if f.get("defaultId")}
    by_id = {str(f["id"]) for f in fields}
    by_label = {str(f.get("label", "")).strip().lower(): str(f["id"]) for f in fields}
    out: dict[str, Any] = {}
    values: dict[str, Any] = {}
    for key, value in body.items():
        if key == "externalId":
            out["externalId"] = None if value in (None, "") else str(value)
        elif key == "customfields" and isinstance(value, list):  # already TIMIFY's shape
            values.update(
                {str(v["id"]): v.get("value") for v in value if isinstance(v, dict) and "id" in v}
            )
        elif key == "customFields" and isinstance(value, list):  # the wizard's shape
            for item in value:
                if isinstance(item, dict) and "id" in item:
                    values[str(item["id"])] = item.get("field_value", item.get("value"))
        elif key in DEFAULT_FIELDS and DEFAULT_FIELDS[key] in by_default:
            values[by_default[DEFAULT_FIELDS[key]]] = value
        elif key in by_id:
            values[key] = value
        elif str(key).strip().lower() in by_label:
            values[by_label[str(key).strip().lower()]] = value
        else:
            raise _invalid(f"TIMIFY has no customer field {key!r}")
    out["customfields"] = [
        {"id": field_id, "value": "" if value is None else value}
        for field_id, value in values.items()
    ]
    return out


def appointment_body(body: Any, default_resource: str = "") -> dict[str, Any]:
    """A flat body (title, start, end or duration, contact, notes) → TIMIFY's POST body."""
    if not isinstance(body, dict):
        raise _invalid("a TIMIFY appointment is written from an object of fields")
    out = {
        k: v
        for k, v in body.items()
        if k not in ("start", "startTime", "end", "endTime", "customerId", "contact_id")
    }
    start_value = body.get("start_datetime") or body.get("start") or body.get("startTime")
    if start_value in (None, ""):
        raise _invalid("a TIMIFY appointment needs a start (start_datetime)")
    start = to_timify_time(start_value, "start")
    out["start_datetime"] = start
    end_value = body.get("end") or body.get("endTime")
    if end_value and "duration" not in body:
        end = parse_timify(to_timify_time(end_value, "end"))
        begin = parse_timify(start)
        if end is not None and begin is not None:
            out["duration"] = int((end - begin).total_seconds() // 60)
    customer_id = body.get("customer_id") or body.get("customerId") or body.get("contact_id")
    if customer_id:
        out["customer_id"] = str(customer_id)
    if not out.get("resource_ids") and not out.get("external_resource_ids") and default_resource:
        out["resource_ids"] = [default_resource]
    return out
