"""The operations of a "Your App" connection, built from its config.

Each configured object (e.g. "contact") gets up to five operations, `<object>.create`,
`.update`, `.delete`, `.get` and `.find`, whose method, path and query come from
`config["objects"][object][verb]`; `{name}` placeholders become parameters. Every
connection also has `event.send` (a signed outbound webhook).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from integrations.connectors.base import Catalog, Operation, Param

VERBS = ("create", "update", "delete", "get", "find", "list")
ROLES = {
    "create": "action",
    "update": "action",
    "delete": "action",
    "get": "trigger",
    "find": "trigger",
    "list": "trigger",
}
VERB_NAMES = {
    "create": "Create {object}",
    "update": "Update {object}",
    "delete": "Delete {object}",
    "get": "Get {object}",
    "find": "Find {object}s",
    "list": "List {object}s changed since a time (polling)",
}
# What a new connection starts with; the operator edits paths in the wizard.
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
        # Polling and full syncs: pages of records changed since a time, oldest first.
        "list": {
            "method": "GET",
            "path": "/contacts",
            "list_path": "data",
            "since_param": "updated_since",
            "page_param": "page",
            "per_page_param": "per_page",
            "per_page": 200,
            "updated_field": "updated_at",
        },
    }
}
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
