"""Build the GHL operation catalog (data) from the official OpenAPI specs.

    python -m integrations.connectors.ghl.build_catalog

reads the specs vendored in integrations/connectors/ghl/spec/ (v2 and v3, see its README)
and the seed catalog (spec/seed-catalog.tsv: the 124 operations promised to users, in 8
groups) and writes integrations/connectors/ghl/catalog/<spec file>.json. The connector
reads only those JSON files; tests rebuild them from the vendored specs so the catalog
cannot drift from the spec or from the seeds.

Every seed row is named in SEEDS with the spec operation it is ("file:operationId"), or
with the reason the spec has none. Everything else about an operation (method, path,
Version, scopes, token kind, parameters with their enums, body fields, response envelope,
paging, v3 availability) is read from the spec; OVERRIDES holds the few places where the
spec is silent or wrong, each with its reason.
"""

from __future__ import annotations

import csv
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
CATALOG_DIR = HERE / "catalog"
SPEC_DIR = HERE / "spec"
SEED_FILE = SPEC_DIR / "seed-catalog.tsv"

# Seed name → "spec file:operationId" (the file in spec/v2/, without .json).
SEEDS: dict[str, str] = {
    # Contacts
    "Get Contact": "contacts:get-contact",
    "Search Contacts": "contacts:search-contacts-advanced",
    "Get Contacts by Business": "contacts:get-contacts-by-businessId",
    "Get Duplicate Contact": "contacts:get-duplicate-contact",
    "Get Contact Appointments": "contacts:get-appointments-for-contact",
    "Get Contact Tasks": "contacts:get-all-tasks",
    "Get Contact Task by ID": "contacts:get-task",
    "Get Contact Notes": "contacts:get-all-notes",
    "Get Contact Note by ID": "contacts:get-note",
    "List Contacts (Deprecated)": "contacts:get-contacts",
    "Create Contact": "contacts:create-contact",
    "Update Contact": "contacts:update-contact",
    # No operation of its own: the duplicate search (same method and path) finds a contact
    # by email or phone; DERIVED gives it its own id.
    "Find Contact": "contacts:find-contact",
    "Delete Contact": "contacts:delete-contact",
    "Upsert Contact": "contacts:upsert-contact",
    "Add Tags to Contact": "contacts:add-tags",
    "Remove Tags from Contact": "contacts:remove-tags",
    "Bulk Update Contact Tags": "contacts:create-association",
    "Create Contact Task": "contacts:create-task",
    "Update Contact Task": "contacts:update-task",
    "Complete Contact Task": "contacts:update-task-completed",
    "Delete Contact Task": "contacts:delete-task",
    "Create Contact Note": "contacts:create-note",
    "Update Contact Note": "contacts:update-note",
    "Delete Contact Note": "contacts:delete-note",
    "Add Contact to Campaign": "contacts:add-contact-to-campaign",
    "Remove from Campaign": "contacts:remove-contact-from-campaign",
    "Remove from All Campaigns": "contacts:remove-contact-from-every-campaign",
    # Calendars & Appointments
    "List Calendar Groups": "calendars:get-groups",
    "List Calendars": "calendars:get-calendars",
    "Get Calendar by ID": "calendars:get-calendar",
    "Get Free Slots": "calendars:get-slots",
    "List Calendar Events": "calendars:get-calendar-events",
    "List Blocked Slots": "calendars:get-blocked-slots",
    "Get Appointment": "calendars:get-appointment",
    "List Appointment Notes": "calendars:get-appointment-notes",
    "List Calendar Notifications": "calendars:get-event-notification",
    "Get Calendar Notification": "calendars:find-event-notification",
    "List Calendar Resources": "calendars:fetch-calendar-resources",
    "Get Calendar Resource": "calendars:get-calendar-resource",
    "Create Calendar Group": "calendars:create-calendar-group",
    "Update Calendar Group": "calendars:edit-group",
    "Update Group Status": "calendars:disable-group",
    "Delete Calendar Group": "calendars:delete-group",
    "Validate Group Slug": "calendars:validate-groups-slug",
    "Create Calendar": "calendars:create-calendar",
    "Update Calendar": "calendars:update-calendar",
    "Delete Calendar": "calendars:delete-calendar",
    "Create Appointment": "calendars:create-appointment",
    "Update Appointment": "calendars:edit-appointment",
    "Delete Event": "calendars:delete-event",
    "Create Block Slot": "calendars:create-block-slot",
    "Update Block Slot": "calendars:edit-block-slot",
    "Create Appointment Note": "calendars:create-appointment-note",
    "Update Appointment Note": "calendars:update-appointment-note",
    "Delete Appointment Note": "calendars:delete-appointment-note",
    "Create Calendar Notification": "calendars:create-event-notification",
    "Update Notification": "calendars:update-event-notification",
    "Delete Notification": "calendars:delete-event-notification",
    "Create Calendar Resource": "calendars:create-calendar-resource",
    "Update Calendar Resource": "calendars:update-calendar-resource",
    "Delete Calendar Resource": "calendars:delete-calendar-resource",
    # Opportunities
    "Search Opportunities": "opportunities:search-opportunity",
    "Get Opportunity": "opportunities:get-opportunity",
    "List Pipelines": "opportunities:get-pipelines",
    "Create Opportunity": "opportunities:create-opportunity",
    "Update Opportunity": "opportunities:update-opportunity",
    "Delete Opportunity": "opportunities:delete-opportunity",
    "Update Opportunity Status": "opportunities:update-opportunity-status",
    "Upsert Opportunity": "opportunities:Upsert-opportunity",
    "Add Followers": "opportunities:add-followers-opportunity",
    "Remove Followers": "opportunities:remove-followers-opportunity",
    # Users
    "Search Users": "users:search-users",
    "Filter Users by Email": "users:filter-users-by-email",
    "Get User": "users:get-user",
    "List Users by Location": "users:get-user-by-location",
    "Create User": "users:create-user",
    "Update User": "users:update-user",
    "Delete User": "users:delete-user",
    # Conversations & Messages
    "Search Conversations": "conversations:search-conversation",
    "Get Conversation": "conversations:get-conversation",
    "Get Email by ID": "conversations:get-email-by-id",
    "Get Message by ID": "conversations:get-message",
    "Get Messages by Conversation": "conversations:get-messages",
    "Get Message Recording": "conversations:get-message-recording",
    "Get Message Transcription": "conversations:get-message-transcription",
    "Download Transcription": "conversations:download-message-transcription",
    "Update Message Status": "conversations:update-message-status",
    "Agent Typing Indicator": "conversations:live-chat-agent-typing",
    # Businesses
    "Get Business": "businesses:get-business",
    "List Businesses by Location": "businesses:get-businesses-by-location",
    "Create Business": "businesses:create-business",
    "Update Business": "businesses:update-business",
    "Delete Business": "businesses:delete-Business",
    # Workflows & Campaigns (the enrolment calls live in contacts.json)
    "List Workflows": "workflows:get-workflow",
    "List Snapshots": "snapshots:get-custom-snapshots",
    "List Campaigns": "campaigns:get-campaigns",
    "Add Contact to Workflow": "contacts:add-contact-to-workflow",
    "Remove from Workflow": "contacts:delete-contact-from-workflow",
    "Add Contact Followers": "contacts:add-followers-contact",
    "Remove Contact Followers": "contacts:remove-followers-contact",
    "Bulk Business Update": "contacts:add-remove-contact-from-business",
    # Other Operations
    "List Locations": "locations:search-locations",
    "List Custom Fields": "locations:get-custom-fields",
    "Get Company": "companies:get-company",
    "Find Associations": "associations:find-associations",
    "Get Association": "associations:get-association-by-ID",
    "Get Association Key": "associations:get-association-key-by-key-name",
    "Get Association by Keys": "associations:get-association-by-object-keys",
    "Get Relations by Record": "associations:get-relations-by-record-id",
    "Check Blog URL Slug": "blogs:check-url-slug-exists",
    "Get Blog Authors": "blogs:get-all-blog-authors-by-location",
    "Get Blog Categories": "blogs:get-all-categories-by-location",
    "Get Blog Posts": "blogs:get-blog-post",
    "Get Blogs by Location": "blogs:get-blogs",
    "Find Location by ID": "locations:get-location",
    "Create Location": "locations:create-location",
    "Create Association": "associations:create-association",
    "Update Association": "associations:update-association",
    "Delete Association": "associations:delete-association",
    "Create Relation": "associations:create-relation",
    "Delete Relation": "associations:delete-relation",
    "Create Blog Post": "blogs:create-blog-post",
    "Update Blog Post": "blogs:update-blog-post",
}

# Seed rows the spec has no operation for: name → reason. The catalog lists them as
# unavailable instead of inventing an endpoint. (Every seed row has one today.)
MISSING: dict[str, str] = {}

# Spec files of which every operation is in the catalog (not only the seeded ones): the
# contacts catalog predates the seeds and flows use its other operations.
WHOLE_FILES = {"contacts"}

# Seed rows with no operation of their own, served by a spec operation (same method and
# path) under another id.
DERIVED: dict[str, dict[str, str]] = {
    "find-contact": {
        "file": "contacts",
        "from": "get-duplicate-contact",
        "description": "Find a contact by email or phone (the location's duplicate rules "
        "apply); returns {contact} or {contact: null}.",
    },
}

# Where the spec is silent or wrong; each with the reason (FACTS.md §5, §10).
OVERRIDES: dict[tuple[str, str], dict[str, Any]] = {
    # The path has {type} (add | remove) but the spec declares no parameter.
    ("contacts", "create-association"): {
        "id": "bulk-update-contact-tags",
        "extra_params": [
            {
                "name": "type",
                "location": "path",
                "required": True,
                "type": "string",
                "description": "add or remove",
                "choices": ["add", "remove"],
            }
        ],
        "scope": "contacts.write",
        "note": "The spec declares no {type} parameter and no security; writes contacts.",
    },
    # Bulk endpoints declare no security; they write contacts.
    ("contacts", "add-remove-contact-from-business"): {
        "scope": "contacts.write",
        "note": "The spec declares no security; it writes contacts.",
    },
    # The spec's search body schema is empty; the documented body requires locationId
    # (FACTS.md §5, help-center contract).
    ("contacts", "search-contacts-advanced"): {
        "body_required": ["locationId"],
        "pagination": "searchAfter",
        "extra_body": [
            {"name": "locationId", "type": "string", "required": True},
            {"name": "pageLimit", "type": "integer", "required": False},
            {"name": "searchAfter", "type": "array", "required": False},
            {"name": "filters", "type": "array", "required": False},
            {"name": "sort", "type": "array", "required": False},
            {"name": "query", "type": "string", "required": False},
        ],
        "note": "The spec's body schema is empty; the body is the documented search body.",
    },
    # The opportunities search filters by location_id (snake case); it is the location.
    # get-email-by-id declares neither Version nor security in the v2 spec.
    ("conversations", "get-email-by-id"): {
        "scope": "conversations/message.readonly",
        "version": "2021-04-15",
        "note": "The v2 spec declares no security and no Version; the scope and Version of "
        "the other conversations/messages reads apply.",
    },
    # Snapshots are Agency-Access with an empty scope list; Scopes.md names the scope.
    ("snapshots", "get-custom-snapshots"): {
        "scope": "snapshots.readonly",
        "note": "The spec lists no scope; Scopes.md gives snapshots.readonly (Agency).",
    },
}

# Response keys holding the record(s), where the catalog fixed them before detection.
ENVELOPES: dict[str, str | None] = {
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
    "get-location": "location",
    "get-custom-fields": "customFields",
    "get-calendars": "calendars",
    "get-calendar-events": "events",
    "get-appointment": "event",
    "create-appointment": None,  # answers the appointment itself
    "edit-appointment": None,
}

# Query parameters that page a list, in the order they are preferred.
PAGING_PARAMS = (
    "startAfterId",
    "lastMessageId",
    "startAfterDate",
    "cursor",
    "skip",
    "offset",
    "page",
)


def seed_rows() -> list[dict[str, str]]:
    with SEED_FILE.open() as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


@cache
def load_spec(version: str, stem: str) -> dict[str, Any]:
    return json.loads((SPEC_DIR / version / f"{stem}.json").read_text())


@cache
def _common(version: str) -> dict[str, Any]:
    path = SPEC_DIR / ("v3/common" if version == "v3" else "common") / "common-schemas.json"
    return json.loads(path.read_text())


def resolve(spec: dict[str, Any], node: Any, version: str = "v2") -> Any:
    """Follow a $ref (local, or into common-schemas.json) once."""
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        target_file, _, pointer = ref.partition("#")
        doc = _common(version) if target_file else spec
        for part in pointer.lstrip("/").split("/"):
            doc = doc[part]
        node = doc
    return node


def _merged(spec: dict[str, Any], schema: Any, version: str = "v2") -> dict[str, Any]:
    """A schema with allOf merged into one properties/required object."""
    schema = resolve(spec, schema, version) or {}
    if "allOf" not in schema:
        return schema
    out: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
    for part in schema["allOf"]:
        part = _merged(spec, part, version)
        out["properties"].update(part.get("properties", {}))
        out["required"] += part.get("required", [])
    out["properties"].update(schema.get("properties", {}))
    return out


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, op)
        for path, methods in spec["paths"].items()
        for method, op in methods.items()
        if isinstance(op, dict) and "operationId" in op
    ]


def _version(op: dict[str, Any]) -> str | None:
    for param in op.get("parameters", []):
        if param.get("name") == "Version" and param.get("in") == "header":
            schema = param.get("schema", {})
            enum = schema.get("enum") or []
            return enum[0] if enum else schema.get("default")
    return None


def _security(op: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(scopes, token kinds) of an operation's security requirement."""
    scopes: list[str] = []
    kinds: list[str] = []
    for entry in op.get("security") or []:
        for scheme, values in entry.items():
            kinds.append(scheme)
            scopes += [v for v in values if v not in scopes]
    return scopes, kinds


def _token(kinds: list[str]) -> str | None:
    """'agency' when only an agency token may call it, else 'location' (None: unsaid)."""
    if not kinds:
        return None
    if all(k.startswith("Agency") for k in kinds):
        return "agency"
    return "location"


def _field(name: str, schema: dict[str, Any], spec: dict[str, Any], required: bool):
    schema = resolve(spec, schema)
    field = {
        "name": name,
        "type": schema.get("type") or ("object" if "properties" in schema else "string"),
        "required": required,
        "description": (schema.get("description") or "")[:200],
    }
    if schema.get("enum"):
        field["choices"] = [str(v) for v in schema["enum"]]
    if field["type"] == "array":
        items = resolve(spec, schema.get("items") or {})
        field["items"] = items.get("type") or "object"
        if items.get("enum"):
            field["choices"] = [str(v) for v in items["enum"]]
    return field


def _params(op: dict[str, Any], spec: dict[str, Any]) -> list[dict[str, Any]]:
    params = []
    for p in op.get("parameters", []):
        if p.get("in") not in ("path", "query"):
            continue
        schema = resolve(spec, p.get("schema", {}))
        param = {
            "name": p["name"],
            "location": p["in"],
            # OpenAPI: a path parameter is always required (a few omit the flag).
            "required": bool(p.get("required")) or p["in"] == "path",
            "type": schema.get("type", "string"),
            "description": (p.get("description") or "")[:200],
        }
        enum = schema.get("enum") or resolve(spec, schema.get("items") or {}).get("enum")
        if enum:
            param["choices"] = [str(v) for v in enum]
        params.append(param)
    return params


def _response_schema(spec: dict[str, Any], op: dict[str, Any]) -> dict[str, Any]:
    for status, response in sorted(op.get("responses", {}).items()):
        if status.startswith("2"):
            content = resolve(spec, response).get("content", {})
            schema = content.get("application/json", {}).get("schema")
            return _merged(spec, schema) if schema else {}
    return {}


def _envelope(spec: dict[str, Any], op: dict[str, Any]) -> str | None:
    """The response key holding the record(s): the one array of objects, else the one
    object property, else None (the body is the record)."""
    props = _response_schema(spec, op).get("properties", {})
    arrays, objects = [], []
    for key, schema in props.items():
        schema = resolve(spec, schema)
        if schema.get("type") == "array":
            items = resolve(spec, schema.get("items") or {})
            if (
                items.get("type") == "object"
                or "properties" in items
                or "$ref" in (schema.get("items") or {})
            ):
                arrays.append(key)
        elif (
            schema.get("type") == "object" or "properties" in schema or "$ref" in (props[key] or {})
        ):
            objects.append(key)
    if len(arrays) == 1:
        return arrays[0]
    if not arrays and len(objects) == 1 and len(props) <= 4:
        return objects[0]
    return None


def _v3_paths(path: str) -> list[str]:
    """Spellings v3 may use for a v2 path (FACTS §5: removeAll → remove-all)."""
    return [path, path.replace("removeAll", "remove-all")]


def _v3_match(stem: str, method: str, path: str, op_id: str) -> dict[str, Any] | None:
    try:
        spec = load_spec("v3", stem)
    except FileNotFoundError:
        return None
    for v3_path, v3_method, v3_op in _operations(spec):
        if v3_method != method:
            continue
        if v3_path in _v3_paths(path) or (
            v3_op["operationId"] == op_id and v3_path.rstrip("/") == path.rstrip("/")
        ):
            return {"path": v3_path, "operation_id": v3_op["operationId"]}
    return None


def build_operation(
    stem: str, path: str, method: str, op: dict[str, Any], seed: dict[str, str] | None
) -> dict[str, Any]:
    spec = load_spec("v2", stem)
    op_id = op["operationId"]
    override = OVERRIDES.get((stem, op_id), {})
    scopes, kinds = _security(op)
    body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
    schema = _merged(spec, body.get("schema", {})) if body else {}
    required = schema.get("required", [])
    body_fields = [
        _field(name, prop, spec, name in required)
        for name, prop in (schema.get("properties") or {}).items()
    ] + override.get("extra_body", [])
    params = _params(op, spec) + override.get("extra_params", [])
    names = {p["name"] for p in params}
    # A {placeholder} of the path the spec forgot to declare (e.g. update-blog-post).
    for name in re.findall(r"\{(\w+)\}", path):
        if name not in names:
            params.append(
                {
                    "name": name,
                    "location": "path",
                    "required": True,
                    "type": "string",
                    "description": "In the path; the spec does not declare it.",
                }
            )
            names.add(name)
    pagination = override.get("pagination") or next(
        (name for name in PAGING_PARAMS if name in names), None
    )
    v3 = _v3_match(stem, method, path, op_id)
    versions = ["v2", "v3"] if v3 else ["v2"]
    v3_params: list[dict[str, Any]] = []
    if v3:
        v3_spec = load_spec("v3", stem)
        v3_op = v3_spec["paths"][v3["path"]][method]
        v3_params = _params(v3_op, v3_spec)
        for name in re.findall(r"\{(\w+)\}", v3["path"]):
            if name not in {p["name"] for p in v3_params}:
                v3_params.append(
                    {
                        "name": name,
                        "location": "path",
                        "required": True,
                        "type": "string",
                        "description": "In the path; the spec does not declare it.",
                    }
                )
        if {(p["name"], p["location"]) for p in v3_params} == {
            (p["name"], p["location"]) for p in params
        }:
            v3_params = []  # the same parameters: not repeated
    op_key = override.get("id", op_id)
    return {
        "id": op_key,
        "spec_file": stem,
        "spec_operation_id": op_id,
        "name": seed["name"] if seed else op.get("summary", op_id),
        "category": seed["category"] if seed else stem.title(),
        "role": seed["kind"].lower() if seed else ("trigger" if method == "get" else "action"),
        "seeded": bool(seed),
        "method": method.upper(),
        "path": path,
        "scope": override.get("scope", scopes[0] if scopes else None),
        "scopes": [override["scope"]] if "scope" in override else scopes,
        "token": _token(kinds),
        "version": override.get("version", _version(op)),
        "versions": versions,
        "v3_path": v3["path"] if v3 and v3["path"] != path else None,
        "v3_params": v3_params,
        "description": (op.get("description") or op.get("summary") or "")[:300],
        "params": params,
        "body_required": list(override.get("body_required", required)),
        "body_fields": body_fields,
        "has_body": bool(body),
        "envelope": ENVELOPES[op_key] if op_key in ENVELOPES else _envelope(spec, op),
        "pagination": pagination,
        "deprecated": bool(op.get("deprecated")),
        "note": override.get("note", ""),
    }


def build_file(stem: str, seeds: list[dict[str, str]] | None = None) -> list[dict[str, Any]]:
    """The catalog entries of one spec file: its seeded operations (all of them for
    WHOLE_FILES), in the spec's order, then the derived ones."""
    seeds = seed_rows() if seeds is None else seeds
    by_target = {SEEDS[row["name"]]: row for row in seeds if row["name"] in SEEDS}
    operations = []
    for path, method, op in _operations(load_spec("v2", stem)):
        seed = by_target.get(f"{stem}:{op['operationId']}")
        if seed is None and stem not in WHOLE_FILES:
            continue
        operations.append(build_operation(stem, path, method, op, seed))
    by_spec_id = {op["spec_operation_id"]: op for op in operations}
    for op_id, derived in DERIVED.items():
        if derived["file"] != stem:
            continue
        seed = by_target.get(f"{stem}:{op_id}")
        base = by_spec_id[derived["from"]]
        operations.append(
            {
                **base,
                "id": op_id,
                "name": seed["name"] if seed else op_id,
                "category": seed["category"] if seed else base["category"],
                "role": seed["kind"].lower() if seed else "action",
                "seeded": bool(seed),
                "description": derived["description"],
                "note": f"No operation of its own: {derived['from']} (same method and path).",
            }
        )
    return operations


def spec_files() -> list[str]:
    return sorted({target.split(":")[0] for target in SEEDS.values()})


def build_all() -> dict[str, list[dict[str, Any]]]:
    seeds = seed_rows()
    return {stem: build_file(stem, seeds) for stem in spec_files()}


def unavailable() -> list[dict[str, str]]:
    """Seed rows the spec lacks, with the reason (listed, never invented)."""
    return [
        {"name": row["name"], "category": row["category"], "reason": MISSING[row["name"]]}
        for row in seed_rows()
        if row["name"] in MISSING
    ]


def main() -> None:
    for stale in CATALOG_DIR.glob("*.json"):
        stale.unlink()
    for stem, operations in build_all().items():
        out = CATALOG_DIR / f"{stem}.json"
        out.write_text(json.dumps(operations, indent=1) + "\n")
        print(f"{out}: {len(operations)} operations")
    (CATALOG_DIR / "_unavailable.json").write_text(json.dumps(unavailable(), indent=1) + "\n")


if __name__ == "__main__":
    main()
