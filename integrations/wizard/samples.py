"""A real sample record from the trigger's app, for the mapping preview and the dry run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from integrations.connectors.base import ConnectorError
from integrations.models import Connection


@dataclass
class Sample:
    record: dict[str, Any] | None
    note: str


def _ghl(connection: Connection, object_type: str) -> Sample:
    connector: Any = connection.connector
    body = {"locationId": connection.account_id, "pageLimit": 1 if object_type == "contact" else 10}
    contacts = (connector.call("search-contacts-advanced", body=body) or {}).get("contacts") or []
    if object_type == "contact":
        if not contacts:
            return Sample(None, f"{connection} has no contacts yet; add one to see a preview.")
        return Sample(contacts[0], f"The first contact of {connection} (searched just now).")
    listing = {"task": ("get-all-tasks", "tasks"), "note": ("get-all-notes", "notes")}
    if object_type not in listing:
        return Sample(None, f"No sample for {object_type} records.")
    op_id, key = listing[object_type]
    for contact in contacts:
        items = (connector.call(op_id, contactId=contact["id"]) or {}).get(key) or []
        if items:
            return Sample(
                {"contactId": contact["id"], **items[0]},
                f"A {object_type} of {contact.get('email') or contact['id']} in {connection}.",
            )
    return Sample(None, f"None of the first contacts of {connection} has a {object_type}.")


def _rest(connection: Connection, object_type: str) -> Sample:
    connector: Any = connection.connector
    op_id = f"{object_type}.list"
    try:
        connector.catalog[op_id]
    except ConnectorError:
        return Sample(None, f"{connection} has no list path for {object_type}s to read a sample.")
    records = connector.records(op_id, connector.call(op_id, page=1, per_page=1))
    if not records:
        return Sample(None, f"{connection} has no {object_type}s yet; add one to see a preview.")
    return Sample(records[0], f"The first {object_type} of {connection} (read just now).")


# TODO(connectors): a `Connector.sample(object_type)` hook would replace this dict.
FETCHERS = {"ghl": _ghl, "rest": _rest}


def fetch(connection: Connection, object_type: str) -> Sample:
    fetcher = FETCHERS.get(connection.kind)
    if fetcher is None:
        return Sample(None, f"Syncdeck cannot read sample records of {connection} yet.")
    try:
        return fetcher(connection, object_type)
    except ConnectorError as exc:
        return Sample(None, f"Could not read a sample from {connection}: {exc.message}")
