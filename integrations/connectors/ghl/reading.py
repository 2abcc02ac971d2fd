"""Reading from HighLevel: paging through list operations, one record by id, polling a
trigger from a cursor, samples for the wizard. A mixin of GHLConnector, which supplies
`call`, `catalog`, `connection` and `list_operation`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from integrations.connectors.base import ConnectorError, ErrorKind, Operation


class GHLReading:
    # Supplied by GHLConnector.
    call: Any
    catalog: Any
    connection: Any
    label: ClassVar[str]
    list_operation: ClassVar[str]

    def iterate(self, operation_id: str, *, page_size: int = 100, **params: Any) -> Any:
        """Yield every record of a paginated list operation."""
        op = self.catalog[operation_id]
        if op.pagination == "searchAfter":
            body = dict(params.pop("body", None) or {})
            body.setdefault("pageLimit", page_size)
            while True:
                data = self.call(operation_id, body=dict(body), **params)
                items = data.get(op.envelope or "contacts") or []
                yield from items
                if len(items) < body["pageLimit"] or not items[-1].get("searchAfter"):
                    return
                body["searchAfter"] = items[-1]["searchAfter"]
        elif op.pagination == "startAfterId":
            params.setdefault("limit", page_size)
            while True:
                data = self.call(operation_id, **params)
                items = data.get(op.envelope or "contacts") or []
                yield from items
                if len(items) < params["limit"]:
                    return
                params["startAfterId"] = items[-1]["id"]
        elif op.pagination == "skip":
            params.setdefault("limit", page_size)
            skip = 0
            while True:
                data = self.call(operation_id, skip=skip, **params)
                items = data.get(op.envelope or "contacts") or []
                yield from items
                if len(items) < params["limit"]:
                    return
                skip += len(items)
        else:
            data = self.call(operation_id, **params)
            yield from (data.get(op.envelope) or []) if op.envelope else [data]

    # One record by id, per object type: (operation, id parameter, parent parameter).
    record_getters: ClassVar[dict[str, tuple[str, str, str]]] = {
        "contact": ("get-contact", "contactId", ""),
        "task": ("get-task", "taskId", "contactId"),
        "note": ("get-note", "id", "contactId"),
        "appointment": ("get-appointment", "eventId", ""),
    }

    def get_record(
        self, object_type: str, record_id: str, parent_id: str = ""
    ) -> dict[str, Any] | None:
        """The record as HighLevel has it now (None when gone); tasks and notes need their
        contact's id."""
        getter = self.record_getters.get(object_type)
        if getter is None:
            raise NotImplementedError(f"{self.label} cannot read one {object_type} record")
        operation, id_param, parent_param = getter
        op = self.catalog[operation]
        params = {id_param: record_id}
        if parent_param:
            if not parent_id:
                return None
            params[parent_param] = parent_id
        try:
            data = self.call(operation, **params)
        except ConnectorError as exc:
            if exc.status == 404:
                return None
            raise
        record = data.get(op.envelope) if op.envelope and isinstance(data, dict) else data
        return record if isinstance(record, dict) else None

    def _pollable(self, trigger_config: dict[str, Any]) -> Operation:
        """The chosen list operation, or a clear error when it cannot be polled."""
        op = self.catalog[trigger_config.get("operation") or self.list_operation]
        what = trigger_config.get("object") or "contact"
        hint = (
            "Poll “Search Contacts” (search-contacts-advanced), or use HighLevel's webhooks "
            "for this kind of record."
        )
        if op.role != "trigger":
            reason = "it is an action, not a list of records"
        elif any(p.required and p.name != "locationId" and p.location == "path" for p in op.params):
            needs = ", ".join(op.path_params)
            reason = f"it reads the records of one {needs.removesuffix('Id')} ({needs})"
        elif op.envelope != "contacts" or not op.pagination:
            reason = "it does not list the location's records page by page"
        elif what != "contact":
            reason = f"it lists contacts, and this flow syncs {what}s"
        else:
            missing = [
                p.name
                for p in op.params
                if p.required
                and p.name != "locationId"
                and p.name not in (trigger_config.get("params") or {})
            ]
            if not missing:
                return op
            reason = f"it needs {', '.join(missing)} in the trigger's parameters"
        raise ConnectorError(
            f"“{op.name}” ({op.id}) cannot be polled: {reason}. {hint}",
            permanent=True,
            kind=ErrorKind.VALIDATION,
        )

    def poll_pages(
        self, trigger_config: dict[str, Any], cursor: str
    ) -> Iterator[tuple[list[dict[str, Any]], str]]:
        """Pages of the contacts updated since `cursor` (an ISO dateUpdated), each with the
        cursor after it, from the operation chosen in the trigger (the search by default).

        The search is sorted by dateUpdated, oldest first, with `gte`: two contacts can share
        a timestamp, and the runs they make are deduplicated by (id, dateUpdated), so
        re-reading the boundary costs nothing. The plain lists are not sorted by date: they
        are filtered here and the cursor is the newest dateUpdated seen.
        """
        op = self._pollable(trigger_config)
        size = min(500, max(1, int(trigger_config.get("page_size") or 200)))
        if op.pagination == "searchAfter":
            body: dict[str, Any] = {
                "locationId": self.connection.account_id,
                "sort": [{"field": "dateUpdated", "direction": "asc"}],
            }
            if cursor:
                body["filters"] = [
                    {"field": "dateUpdated", "operator": "range", "value": {"gte": cursor}}
                ]
            items = self.iterate(op.id, page_size=size, body=body)
        else:
            params = dict(trigger_config.get("params") or {})
            # The plain lists take at most 100 per request (the search takes 500).
            items = self.iterate(op.id, page_size=min(size, 100), **params)
        newest = cursor
        page: list[dict[str, Any]] = []
        for item in items:
            changed = str(item.get("dateUpdated") or "")
            if cursor and changed and changed < cursor:
                continue
            newest = max(newest, changed)
            page.append(item)
            if len(page) == size:
                yield page, newest
                page = []
        if page:
            yield page, newest

    def poll(self, trigger_config: dict[str, Any], cursor: str) -> tuple[list[dict[str, Any]], str]:
        """Every contact updated since `cursor` (up to `max_records` when given)."""
        limit = int(trigger_config.get("max_records") or 0)
        records: list[dict[str, Any]] = []
        new_cursor = cursor
        for page, after in self.poll_pages(trigger_config, cursor):
            records.extend(page)
            new_cursor = after
            if limit and len(records) >= limit:
                records = records[:limit]
                new_cursor = max(cursor, str(records[-1].get("dateUpdated") or ""))
                break
        return records, new_cursor

    def sample(self, object_type: str) -> tuple[dict[str, Any] | None, str]:
        conn = self.connection
        body = {"locationId": conn.account_id, "pageLimit": 1 if object_type == "contact" else 10}
        contacts = (self.call("search-contacts-advanced", body=body) or {}).get("contacts") or []
        if object_type == "contact":
            if not contacts:
                return None, f"{conn} has no contacts yet; add one to see a preview."
            return contacts[0], f"The first contact of {conn} (searched just now)."
        listing = {
            "task": ("get-all-tasks", "tasks"),
            "note": ("get-all-notes", "notes"),
            "appointment": ("get-appointments-for-contact", "events"),
        }
        if object_type not in listing:
            return None, f"No sample for {object_type} records."
        op_id, key = listing[object_type]
        for contact in contacts:
            items = (self.call(op_id, contactId=contact["id"]) or {}).get(key) or []
            if items:
                where = contact.get("email") or contact["id"]
                return (
                    {"contactId": contact["id"], **items[0]},
                    f"A {object_type} of {where} in {conn}.",
                )
        return None, f"None of the first contacts of {conn} has a {object_type}."
