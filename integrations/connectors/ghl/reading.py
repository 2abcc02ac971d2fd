"""Reading from HighLevel: paging through list operations, one record by id, polling a
trigger from a cursor, samples for the wizard. A mixin of GHLConnector, which supplies
`call`, `catalog`, `connection` and `list_operation`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from integrations.connectors.base import ConnectorError, ErrorKind, Operation

PAGED = ("startAfterId", "lastMessageId", "skip", "offset", "page")
# Query parameters the connector fills itself (the connection's location).
AUTO_PARAMS = {"locationId", "location_id"}


class GHLReading:
    # Supplied by GHLConnector.
    call: Any
    catalog: Any
    connection: Any
    label: ClassVar[str]
    list_operation: ClassVar[str]

    def iterate(self, operation_id: str, *, page_size: int = 100, **params: Any) -> Any:
        """Yield every record of a list operation, page by page as the spec pages it:
        searchAfter (body), startAfterId / lastMessageId (the last id), skip / offset (a
        count), page (a number); one call when it has no paging."""
        op = self.catalog[operation_id]
        names = {p.name for p in op.params}
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
        limit_name = "limit" if "limit" in names else ""
        if limit_name:
            params.setdefault(limit_name, page_size)
        size = int(params.get(limit_name) or 0) if limit_name else 0
        position = 0 if op.pagination in ("skip", "offset") else 1
        previous: list[Any] | None = None
        for _ in range(10_000):  # a list that never ends is an app's bug, not a loop here
            if op.pagination in ("skip", "offset"):
                params[op.pagination] = position
            elif op.pagination == "page":
                params["page"] = position
            data = self.call(operation_id, **params)
            items = self.records_of(op, data)
            if items == previous:  # the app ignored the paging parameter
                return
            yield from items
            if not size or len(items) < size or op.pagination not in PAGED:
                return
            previous = items
            if op.pagination in ("startAfterId", "lastMessageId"):
                last = items[-1] if isinstance(items[-1], dict) else {}
                if not last.get("id"):
                    return
                params[op.pagination] = last["id"]
            elif op.pagination in ("skip", "offset"):
                position += len(items)
            else:
                position += 1

    @staticmethod
    def records_of(op: Operation, data: Any) -> list[Any]:
        """The records of an answer: its envelope's list (or one record), else the body."""
        if isinstance(data, list):
            return data
        if not isinstance(data, dict):
            return []
        if op.envelope:
            value = data.get(op.envelope)
            if isinstance(value, list):
                return value
            return [value] if isinstance(value, dict) else []
        return [data]

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
        """The chosen trigger operation, or a clear error when it cannot be polled."""
        op = self.catalog[trigger_config.get("operation") or self.list_operation]
        what = trigger_config.get("object") or "contact"
        given = trigger_config.get("params") or {}
        hint = (
            "Choose one of HighLevel's triggers (a list or get operation) and give the "
            "parameters it needs, or use HighLevel's webhooks for this kind of record."
        )
        missing = [
            p.name
            for p in op.params
            if p.required
            and p.name not in AUTO_PARAMS
            and p.name not in given
            and p.name not in ("limit", *PAGED)  # the paging fills them
        ]
        if op.role != "trigger":
            reason = "it is an action, not a list of records"
        elif missing:
            reason = f"it needs {', '.join(missing)} in the trigger's parameters"
        elif op.envelope == "contacts" and what != "contact":
            reason = f"it lists contacts, and this flow syncs {what}s"
        else:
            return op
        raise ConnectorError(
            f"“{op.name}” ({op.id}) cannot be polled: {reason}. {hint}",
            permanent=True,
            kind=ErrorKind.VALIDATION,
        )

    def poll_pages(
        self, trigger_config: dict[str, Any], cursor: str
    ) -> Iterator[tuple[list[dict[str, Any]], str]]:
        """Pages of the records of the trigger's operation changed since `cursor`, each
        with the cursor after it (the search by default).

        The contacts search is sorted by dateUpdated, oldest first, with `gte`. Every other
        trigger is listed with its own paging; records that carry a modification time
        (dateUpdated, updatedAt…) older than the cursor are left out and the cursor is the
        newest seen. Records without one are all listed each time: the poller queues a run
        per (id, content hash), so only new and changed ones run (sync/polling.py).
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
            if not isinstance(item, dict):
                continue
            changed = modified(item)
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
                new_cursor = max(cursor, modified(records[-1]))
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


MODIFIED = ("dateUpdated", "updatedAt", "lastUpdated", "dateAdded", "createdAt")


def modified(record: dict[str, Any]) -> str:
    """A record's modification time as the app wrote it ("" when it has none)."""
    for key in MODIFIED[:3]:
        if record.get(key):
            return str(record[key])
    return ""
