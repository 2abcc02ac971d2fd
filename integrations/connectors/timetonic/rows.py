"""Rows of the chosen tables as Syncdeck records, and the polling that finds changed rows.

A record is `{"id": "<row id>", "<field name>": value, …}`; a link field (a task's
contact) holds the first linked row's id as a string, so a child names its parent like any
other app's child. Writes translate field names to the table's current field ids; a mapped
field that no longer exists is a validation error naming it.
"""

from __future__ import annotations

import hashlib
import json
import secrets as secrets_module
from collections.abc import Iterator
from typing import Any

from django.db import transaction

from integrations.connectors.base import ConnectorError, ErrorKind

PAGE_SIZE = 100  # rows per getTableValues call (as Pipedream's component reads)
BATCH = 10  # rows per createOrUpdateTableRows call (as TimeTonic's own clients write)
KEEP_GENERATIONS = 2


def flatten(row: dict[str, Any], types: dict[str, str]) -> dict[str, Any]:
    record: dict[str, Any] = {"id": str(row.get("id"))}
    for name, cell in (row.get("fields") or {}).items():
        value = cell.get("value") if isinstance(cell, dict) else cell
        if types.get(name) == "link":
            links = value if isinstance(value, list) else []
            first = links[0] if links else None
            value = (
                str(first.get("row_id"))
                if isinstance(first, dict)
                else (str(first) if first is not None else "")
            )
        record[name] = value
    return record


def row_hash(record: dict[str, Any]) -> str:
    return hashlib.md5(  # noqa: S324 - a change detector, not security
        json.dumps(record, sort_keys=True, default=str).encode()
    ).hexdigest()


class RowsMixin:
    """Needs `rpc`, `table(object_type)` and `connection` from the connector."""

    def fields_of(self, object_type: str) -> list[dict[str, Any]]:
        """The chosen table's fields as TimeTonic has them now (read once per connector)."""
        cache = self.__dict__.setdefault("_fields", {})
        if object_type not in cache:
            table = self.table(object_type)
            book = self.book()
            body = self.rpc("getBookTables", b_c=book["b_c"], b_o=book["b_o"], includeFields=1)
            found = next(
                (
                    t
                    for t in (body.get("bookTables") or {}).get("categories") or []
                    if str(t.get("id")) == str(table["catId"])
                ),
                None,
            )
            if found is None:
                raise ConnectorError(
                    f"the {object_type} table “{table.get('name')}” is no longer in book "
                    f"{book['b_c']}; choose it again in the connection's settings",
                    permanent=True,
                    kind=ErrorKind.VALIDATION,
                )
            cache[object_type] = list(found.get("fields") or [])
        return cache[object_type]

    def _types(self, object_type: str) -> dict[str, str]:
        return {str(f["name"]): str(f.get("type") or "") for f in self.fields_of(object_type)}

    def field_values(self, object_type: str, body: dict[str, Any]) -> dict[str, Any]:
        """{field name: value} → TimeTonic's fieldValues {"<field id>": value}."""
        by_name = {str(f["name"]): f for f in self.fields_of(object_type)}
        table = self.table(object_type)
        values: dict[str, Any] = {}
        for name, value in (body or {}).items():
            if name == "id":
                continue
            field = by_name.get(name)
            if field is None:
                raise ConnectorError(
                    f"the field “{name}” is not in TimeTonic table “{table.get('name')}” (it "
                    f"has: {', '.join(by_name) or 'no fields'}); fix the mapping or the table",
                    permanent=True,
                    kind=ErrorKind.VALIDATION,
                )
            if field.get("type") == "link":
                value = [{"row_id": int(value)}] if str(value or "").isdigit() else []
            values[str(field["id"])] = value
        return values

    def read_rows(
        self, object_type: str, *, filter_rows: Any = None, offset: int = 0, limit: int = PAGE_SIZE
    ) -> list[dict[str, Any]]:
        table = self.table(object_type)
        params: dict[str, Any] = {
            "catId": table["catId"],
            "format": "rows",
            "maxRows": limit,
            "offset": offset,
        }
        if filter_rows is not None:
            params["filterRowIds"] = json.dumps(filter_rows)
        body = self.rpc("getTableValues", **params)
        rows = (body.get("tableValues") or {}).get("rows") or []
        types = self._types(object_type)
        return [flatten(row, types) for row in rows if isinstance(row, dict)]

    def all_rows(self, object_type: str, page_size: int = PAGE_SIZE) -> Iterator[list[dict]]:
        """Every row, page by page (maxRows/offset until a short page)."""
        offset = 0
        while True:
            page = self.read_rows(object_type, offset=offset, limit=page_size)
            yield page
            if len(page) < page_size:
                return
            offset += page_size

    def find_rows(self, object_type: str, **where: Any) -> list[dict[str, Any]]:
        """Rows whose fields equal the given values; `email` means the table's email field."""
        fields = self.fields_of(object_type)
        filters = []
        for n, (name, value) in enumerate(where.items()):
            field = next((f for f in fields if f["name"] == name), None)
            if field is None and name == "email":
                field = next((f for f in fields if f.get("type") == "email"), None)
            if field is None:
                raise ConnectorError(
                    f"cannot search {object_type} rows by “{name}”: no such field",
                    permanent=True,
                    kind=ErrorKind.VALIDATION,
                )
            filters.append(
                {
                    "id": f"tmp{n}",
                    "json": {"predicate": "is", "operand": value},
                    "field_id": field["id"],
                    "filter_type": "text",
                }
            )
        spec = {"applyViewFilters": {"filterGroup": {"operator": "and", "filters": filters}}}
        return self.read_rows(object_type, filter_rows=spec)

    def row(self, object_type: str, row_id: str) -> dict[str, Any] | None:
        if not str(row_id).isdigit():
            return None
        rows = self.read_rows(object_type, filter_rows={"row_ids": [int(row_id)]})
        return rows[0] if rows else None

    def write_row(self, object_type: str, row_id: str, body: dict[str, Any]) -> dict[str, Any]:
        values = self.field_values(object_type, body)
        answer = self.rpc(
            "createOrUpdateTableRow",
            write=True,
            rowId=row_id,
            catId=self.table(object_type)["catId"],
            fieldValues=json.dumps(values),
            returnUpdatedRows=1,
        )
        rows = answer.get("rows") or []
        if not rows or not rows[0].get("id"):
            raise ConnectorError("TimeTonic answered without the row's id", permanent=True)
        return flatten(rows[0], self._types(object_type))

    def write_rows(self, object_type: str, rows: list[dict[str, Any]]) -> list[str]:
        """Create (no id) or update rows in batches of 10; returns their ids in order."""
        table = self.table(object_type)
        ids: list[str] = []
        for start in range(0, len(rows), BATCH):
            batch = {
                (str(r["id"]) if r.get("id") else f"tmp_{start + n}"): self.field_values(
                    object_type, r
                )
                for n, r in enumerate(rows[start : start + BATCH])
            }
            answer = self.rpc(
                "createOrUpdateTableRows", write=True, catId=table["catId"], rows=json.dumps(batch)
            )
            ids += [str(r.get("id")) for r in answer.get("rows") or []]
        return ids

    # --- polling with a content hash per row --------------------------------------------
    def poll(self, trigger_config: dict[str, Any], cursor: str) -> tuple[list[dict], str]:
        """New and changed rows since the poll that returned `cursor` (every row when it is
        empty), and deleted ones as `{"id", "_change": "deleted"}` when the trigger asks
        (`include_deleted`). Each row carries `_change` and `updated_at` = "md5:<hash>" (so a
        row is queued once per content). The hashes are kept on the connection, per cursor
        token and generation; a preview (`max_records`) stores nothing."""
        object_type = str(trigger_config.get("object") or "contact")
        page_size = min(PAGE_SIZE, int(trigger_config.get("page_size") or PAGE_SIZE))
        limit = trigger_config.get("max_records")
        rows: list[dict[str, Any]] = []
        for page in self.all_rows(object_type, page_size):
            rows += page
            if limit and len(rows) >= int(limit):
                break
        if limit:
            for r in rows:
                r["updated_at"] = "md5:" + row_hash(r)
            return rows[: int(limit)], cursor
        token, _, gen = cursor.partition(":")[2].partition(":") if cursor else ("", "", "")
        token = token or secrets_module.token_hex(6)
        generation = int(gen) if gen.isdigit() else 0
        previous = self._hashes(token, generation) if cursor else {}
        hashes: dict[str, str] = {}
        changed: list[dict[str, Any]] = []
        for record in rows:
            digest = row_hash(record)
            hashes[record["id"]] = digest
            if previous is None or previous.get(record["id"]) != digest:
                new = previous is None or record["id"] not in previous
                changed.append(
                    {
                        **record,
                        "_change": "new" if new else "changed",
                        "updated_at": "md5:" + digest,
                    }
                )
        if trigger_config.get("include_deleted") and previous:
            changed += [
                {"id": rid, "_change": "deleted", "updated_at": "deleted"}
                for rid in previous
                if rid not in hashes
            ]
        self._store_hashes(token, generation + 1, hashes)
        return changed, f"tt:{token}:{generation + 1}"

    def _hashes(self, token: str, generation: int) -> dict[str, str] | None:
        """The hashes stored for a cursor; None when they are gone (every row is "changed")."""
        state = ((self.connection.config or {}).get("poll_hashes") or {}).get(token) or {}
        found = state.get(str(generation))
        return dict(found) if isinstance(found, dict) else None

    def _store_hashes(self, token: str, generation: int, hashes: dict[str, str]) -> None:
        conn = self.connection
        with transaction.atomic():
            if conn.pk:
                locked = type(conn).objects.select_for_update().get(pk=conn.pk)
                config = dict(locked.config or {})
            else:
                config = dict(conn.config or {})
            all_state = dict(config.get("poll_hashes") or {})
            state = {
                k: v
                for k, v in (all_state.get(token) or {}).items()
                if k.isdigit() and int(k) > generation - KEEP_GENERATIONS
            }
            state[str(generation)] = hashes
            all_state[token] = state
            config["poll_hashes"] = all_state
            if conn.pk:
                type(conn).objects.filter(pk=conn.pk).update(config=config)
            conn.config = config
