"""Build the GHL operation catalog (data) from the official OpenAPI specs.

    python -m integrations.connectors.ghl.build_catalog ../shared/reference/ghl/openapi

writes integrations/connectors/ghl/catalog/<area>.json. The connector reads only those
JSON files; tests check them against the specs so the catalog cannot drift. A new
category needs one more entry in AREAS (and the names of its seed operations), no code.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

CATALOG_DIR = Path(__file__).parent / "catalog"

# spec file → seed category, and per operationId: (seed name, role). Operations that
# the seeds do not name get the spec's summary and a role from the method.
AREAS: dict[str, dict[str, Any]] = {
    "contacts": {
        "category": "Contacts",
        "names": {
            "get-contact": ("Get Contact", "trigger"),
            "search-contacts-advanced": ("Search Contacts", "trigger"),
            "get-contacts-by-businessId": ("Get Contacts by Business", "trigger"),
            "get-duplicate-contact": ("Get Duplicate Contact", "trigger"),
            "get-appointments-for-contact": ("Get Contact Appointments", "trigger"),
            "get-all-tasks": ("Get Contact Tasks", "trigger"),
            "get-task": ("Get Contact Task by ID", "trigger"),
            "get-all-notes": ("Get Contact Notes", "trigger"),
            "get-note": ("Get Contact Note by ID", "trigger"),
            "get-contacts": ("List Contacts (Deprecated)", "trigger"),
            "create-contact": ("Create Contact", "action"),
            "update-contact": ("Update Contact", "action"),
            "delete-contact": ("Delete Contact", "action"),
            "upsert-contact": ("Upsert Contact", "action"),
            "add-tags": ("Add Tags to Contact", "action"),
            "remove-tags": ("Remove Tags from Contact", "action"),
            "create-association": ("Bulk Update Contact Tags", "action"),
            "create-task": ("Create Contact Task", "action"),
            "update-task": ("Update Contact Task", "action"),
            "update-task-completed": ("Complete Contact Task", "action"),
            "delete-task": ("Delete Contact Task", "action"),
            "create-note": ("Create Contact Note", "action"),
            "update-note": ("Update Contact Note", "action"),
            "delete-note": ("Delete Contact Note", "action"),
            "add-contact-to-campaign": ("Add Contact to Campaign", "action"),
            "remove-contact-from-campaign": ("Remove from Campaign", "action"),
            "remove-contact-from-every-campaign": ("Remove from All Campaigns", "action"),
        },
        # Where the spec is silent or wrong; each with the reason (FACTS.md §5, §10).
        "overrides": {
            # The path has {type} (add | remove) but the spec declares no parameter.
            "create-association": {
                "id": "bulk-update-contact-tags",
                "extra_params": [
                    {
                        "name": "type",
                        "location": "path",
                        "required": True,
                        "type": "string",
                        "description": "add or remove",
                    }
                ],
                "scope": "contacts.write",
            },
            # Bulk endpoints declare no security; they write contacts.
            "add-remove-contact-from-business": {"scope": "contacts.write"},
            # The spec's search body schema is empty; the documented body requires
            # locationId (FACTS.md §5, help-center contract).
            "search-contacts-advanced": {"body_required": ["locationId"]},
        },
        # Seed rows with no operation of their own, served by a spec operation (same
        # method and path) under another name and role.
        "derived": {
            # "Find Contact: search by email, phone, or ID" is a lookup step in a flow.
            "find-contact": {
                "from": "get-duplicate-contact",
                "name": "Find Contact",
                "role": "action",
                "description": "Find a contact by email or phone (the location's duplicate "
                "rules apply); returns {contact} or {contact: null}.",
            },
        },
        "envelopes": {
            "get-contact": "contact",
            "update-contact": "contact",
            "create-contact": "contact",
            "upsert-contact": "contact",
            "search-contacts-advanced": "contacts",
            "get-contacts": "contacts",
            "get-contacts-by-businessId": "contacts",
            "get-duplicate-contact": "contact",
            "get-all-tasks": "tasks",
            "get-task": "task",
            "create-task": "task",
            "update-task": "task",
            "update-task-completed": "task",
            "get-all-notes": "notes",
            "get-note": "note",
            "create-note": "note",
            "update-note": "note",
            "get-appointments-for-contact": "events",
            "add-tags": "tags",
            "remove-tags": "tags",
        },
        "pagination": {
            "search-contacts-advanced": "searchAfter",
            "get-contacts": "startAfterId",
            "get-contacts-by-businessId": "skip",
        },
    },
    # Only what the product uses so far: the location's own details and its custom
    # field definitions (the wizard lists custom fields by name). Adding the rest of
    # locations.json is a matter of widening `only`.
    "locations": {
        "category": "Locations",
        "only": ["get-location", "get-custom-fields"],
        "names": {
            "get-location": ("Get Location", "trigger"),
            "get-custom-fields": ("Get Custom Fields", "trigger"),
        },
        "envelopes": {"get-location": "location", "get-custom-fields": "customFields"},
    },
    # Calendars and appointments (calendar events): what syncing appointments needs. A
    # contact's appointments are get-appointments-for-contact in contacts.json. Groups,
    # resources, schedules, notifications and block slots can follow by widening `only`.
    "calendars": {
        "category": "Calendars & Appointments",
        "only": [
            "get-calendars",
            "get-calendar-events",
            "get-appointment",
            "create-appointment",
            "edit-appointment",
            "delete-event",
        ],
        "names": {
            "get-calendars": ("List Calendars", "trigger"),
            "get-calendar-events": ("List Calendar Events", "trigger"),
            "get-appointment": ("Get Appointment", "trigger"),
            "create-appointment": ("Create Appointment", "action"),
            "edit-appointment": ("Update Appointment", "action"),
            "delete-event": ("Delete Event", "action"),
        },
        # create-appointment and edit-appointment answer the appointment itself.
        "envelopes": {
            "get-calendars": "calendars",
            "get-calendar-events": "events",
            "get-appointment": "event",
        },
    },
}


def _resolve(spec: dict[str, Any], ref: str) -> dict[str, Any]:
    node: Any = spec
    for part in ref.lstrip("#/").split("/"):
        node = node[part]
    return node


def _version(op: dict[str, Any]) -> str | None:
    for param in op.get("parameters", []):
        if param.get("name") == "Version" and param.get("in") == "header":
            schema = param.get("schema", {})
            enum = schema.get("enum") or []
            return enum[0] if enum else schema.get("default")
    return None


def build_area(spec: dict[str, Any], area: dict[str, Any]) -> list[dict[str, Any]]:
    operations = []
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            op_id = op["operationId"]
            if "only" in area and op_id not in area["only"]:
                continue
            override = area.get("overrides", {}).get(op_id, {})
            name, role = area["names"].get(
                op_id, (op.get("summary", op_id), "trigger" if method == "get" else "action")
            )
            params = [
                {
                    "name": p["name"],
                    "location": p["in"],
                    "required": bool(p.get("required")),
                    "type": p.get("schema", {}).get("type", "string"),
                    "description": (p.get("description") or "")[:200],
                }
                for p in op.get("parameters", [])
                if p.get("in") in ("path", "query")
            ]
            params += override.get("extra_params", [])
            body_required: list[str] = []
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            schema = body.get("schema", {})
            if "$ref" in schema:
                schema = _resolve(spec, schema["$ref"])
            body_required = list(override.get("body_required", schema.get("required", [])))
            security = op.get("security") or []
            scopes = [s for entry in security for values in entry.values() for s in values]
            operations.append(
                {
                    "id": override.get("id", op_id),
                    "spec_operation_id": op_id,
                    "name": name,
                    "category": area["category"],
                    "role": role,
                    "method": method.upper(),
                    "path": path,
                    "scope": override.get("scope", scopes[0] if scopes else None),
                    "version": _version(op),
                    "description": (op.get("description") or op.get("summary") or "")[:300],
                    "params": params,
                    "body_required": body_required,
                    "has_body": bool(body),
                    "envelope": area.get("envelopes", {}).get(op_id),
                    "pagination": area.get("pagination", {}).get(op_id),
                    "deprecated": bool(op.get("deprecated")),
                }
            )
    by_spec_id = {op["spec_operation_id"]: op for op in operations}
    for op_id, derived in area.get("derived", {}).items():
        base = by_spec_id[derived["from"]]
        operations.append(
            {
                **base,
                "id": op_id,
                "name": derived["name"],
                "role": derived["role"],
                "description": derived.get("description", base["description"]),
            }
        )
    return operations


def main(spec_dir: str) -> None:
    for file_stem, area in AREAS.items():
        spec = json.loads((Path(spec_dir) / f"{file_stem}.json").read_text())
        operations = build_area(spec, area)
        out = CATALOG_DIR / f"{file_stem}.json"
        out.write_text(json.dumps(operations, indent=1) + "\n")
        print(f"{out}: {len(operations)} operations")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/reference/ghl/openapi")
