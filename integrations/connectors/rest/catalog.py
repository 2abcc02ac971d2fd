"""The operations of a "Your App" connection, built from its config.

Each configured object (e.g. "contact", "task") gets up to six operations, `<object>.create`,
`.update`, `.delete`, `.get`, `.find` and `.list`, whose method, path and query come from
`config["objects"][object][verb]`; `{name}` placeholders become parameters. A contact may
also have `contact.add_tags` / `contact.remove_tags` (body `{"tags": [...]}`). Every
connection also has `event.send` (a signed outbound webhook).

An object other than "contact" belongs to a parent contact when it is one of
`CHILD_OBJECTS` or its config says so (`"parent": "contact", "parent_field": "contact_id"`,
keys next to the verbs): see `object_types_of`.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from integrations.connectors.base import Catalog, ObjectType, Operation, Param

VERBS = ("create", "update", "delete", "get", "find", "list", "add_tags", "remove_tags")
ROLES = {
    "create": "action",
    "update": "action",
    "delete": "action",
    "get": "trigger",
    "find": "trigger",
    "list": "trigger",
    "add_tags": "action",
    "remove_tags": "action",
}
VERB_NAMES = {
    "create": "Create {object}",
    "update": "Update {object}",
    "delete": "Delete {object}",
    "get": "Get {object}",
    "find": "Find {object}s",
    "list": "List {object}s changed since a time (polling)",
    "add_tags": "Add tags to a {object}",
    "remove_tags": "Remove tags from a {object}",
}


def _list_spec(path: str) -> dict[str, Any]:
    """Polling and full syncs: pages of records changed since a time, oldest first."""
    return {
        "method": "GET",
        "path": path,
        "list_path": "data",
        "since_param": "updated_since",
        "page_param": "page",
        "per_page_param": "per_page",
        "per_page": 200,
        "updated_field": "updated_at",
    }


def _child_objects(plural: str) -> dict[str, dict[str, Any]]:
    """A record of a contact (task, note, appointment): found by its contact's id."""
    return {
        "create": {"method": "POST", "path": f"/{plural}"},
        "update": {"method": "PATCH", "path": f"/{plural}/{{id}}"},
        "delete": {"method": "DELETE", "path": f"/{plural}/{{id}}"},
        "get": {"method": "GET", "path": f"/{plural}/{{id}}"},
        "find": {
            "method": "GET",
            "path": f"/{plural}",
            "query": {"contact_id": "{contact_id}"},
            "list_path": "data",
        },
        "list": _list_spec(f"/{plural}"),
    }


# What a new connection starts with; the operator edits paths on the connection's page.
DEFAULT_OBJECTS: dict[str, dict[str, dict[str, Any]]] = {
    "contact": {
        "create": {"method": "POST", "path": "/contacts"},
        "update": {"method": "PUT", "path": "/contacts/{id}"},
        "delete": {"method": "DELETE", "path": "/contacts/{id}"},
        "get": {"method": "GET", "path": "/contacts/{id}"},
        "find": {
            "method": "GET",
            "path": "/contacts",
            "query": {"email": "{email}"},
            "list_path": "data",
        },
        "list": _list_spec("/contacts"),
        "add_tags": {"method": "POST", "path": "/contacts/{id}/tags"},
        "remove_tags": {"method": "DELETE", "path": "/contacts/{id}/tags"},
    },
    "task": _child_objects("tasks"),
    "note": _child_objects("notes"),
    "appointment": _child_objects("appointments"),
}
# Objects that belong to a contact unless their config says otherwise, and the record
# field shown as their label.
CHILD_OBJECTS = ("task", "note", "appointment")
LABEL_FIELDS = {"contact": "email", "task": "title", "note": "body", "appointment": "title"}
EVENT_ACTIONS = ("created", "updated", "deleted")
EVENT_SEND = "event.send"
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def dotted(data: Any, path: str) -> Any:
    """`data` at a dotted path ("data.items", "record.id"); None when absent."""
    if not path:
        return data
    for part in path.split("."):
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return None
    return data


def _operation(object_name: str, verb: str, spec: dict[str, Any]) -> Operation:
    path = str(spec.get("path") or "/")
    if not path.startswith("/"):
        path = "/" + path
    query = spec.get("query") or {}
    params = [
        Param(name, "path", required=True, description=f"fills {{{name}}} in the path")
        for name in dict.fromkeys(PLACEHOLDER.findall(path))
    ]
    seen = {p.name for p in params}
    for value in query.values():
        for name in PLACEHOLDER.findall(str(value)):
            if name not in seen:
                seen.add(name)
                params.append(Param(name, "query", description="fills a query value"))
    return Operation(
        id=f"{object_name}.{verb}",
        name=VERB_NAMES[verb].format(object=object_name.replace("_", " ")),
        category=object_name.replace("_", " ").title(),
        role=ROLES[verb],
        method=str(spec.get("method") or ("POST" if verb == "create" else "GET")).upper(),
        path=path,
        params=tuple(params),
        envelope=spec.get("list_path") or None,
        description=f"{verb} a {object_name} record of the app",
    )


def _event_operation(webhook_url: str = "") -> Operation:
    return Operation(
        id=EVENT_SEND,
        name="Send signed event",
        category="Events",
        role="action",
        method="POST",
        path=(urlsplit(webhook_url).path or "/") if webhook_url else "/",
        description=(
            "POST {type, id, occurred_at, data} to the app's webhook URL, signed with "
            "Syncdeck-Signature (HMAC-SHA256 of the timestamp and body)"
        ),
        body_required=("type", "data"),
    )


def object_types_of(objects: dict[str, Any]) -> dict[str, ObjectType]:
    """The object types of a connection's configured objects, with their parents."""
    out: dict[str, ObjectType] = {}
    for name, spec in objects.items():
        spec = spec if isinstance(spec, dict) else {}
        parent = spec.get("parent") or ("contact" if name in CHILD_OBJECTS else None)
        if parent and parent not in objects:
            parent = None  # a parent the app does not carry cannot be resolved
        out[name] = ObjectType(
            name=name,
            parent=parent,
            parent_field=str(spec.get("parent_field") or "contact_id") if parent else "",
            id_field="id",
            label_field=str(spec.get("label_field") or LABEL_FIELDS.get(name, "")),
        )
    return out


def event_types_of(objects: dict[str, Any]) -> tuple[str, ...]:
    """`<object>.created|updated|deleted` for every configured object."""
    return tuple(f"{name}.{action}" for name in objects for action in EVENT_ACTIONS)


def build_catalog(objects: dict[str, Any], webhook_url: str = "") -> Catalog:
    catalog = Catalog()
    for object_name, verbs in objects.items():
        for verb in VERBS:
            spec = (verbs or {}).get(verb)
            if spec:
                op = _operation(object_name, verb, spec)
                catalog.operations[op.id] = op
    catalog.operations[EVENT_SEND] = _event_operation(webhook_url)
    return catalog
