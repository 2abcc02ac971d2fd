"""What the simulated TimeTonic does, shared by its API, its pages and its control views:
keys and sessions, tables and rows as the API shows them, writes with typed values.

Errors are `Nok(code, message)`: the API answers them as `{"status": "nok", "errorCode",
"errorMsg"}` with HTTP 200, as TimeTonic does. The codes are this simulator's own (the
public docs show the envelope, not a list of codes).
"""

from __future__ import annotations

import secrets
import time
from datetime import datetime
from typing import Any

from django.db import transaction

from . import automation
from .models import TTAppkey, TTBook, TTField, TTOauthkey, TTRow, TTSession, TTTable, TTUser


class Nok(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _stamp() -> int:
    return int(time.time() * 1000)


# --- keys and sessions ---------------------------------------------------------------
def create_appkey(appname: str) -> str:
    if not appname:
        raise Nok("missingParam", "appname is required")
    key = TTAppkey.objects.create(appname=appname[:200], appkey="ak" + secrets.token_hex(12))
    return key.appkey


def create_oauthkey(login: str, pwd: str, appkey: str) -> tuple[str, str]:
    app = TTAppkey.objects.filter(appkey=appkey).first() if appkey else None
    if app is None:
        raise Nok("invalidAppkey", "Invalid appkey")
    user = TTUser.objects.filter(login=login).first() if login else None
    if user is None or not secrets.compare_digest(user.password.encode(), (pwd or "").encode()):
        raise Nok("wrongLoginPwd", "Wrong login or password")
    key = TTOauthkey.objects.create(user=user, appkey=app, oauthkey="ok" + secrets.token_hex(16))
    return key.oauthkey, user.o_u


def create_sesskey(o_u: str, oauthkey: str) -> str:
    key = TTOauthkey.objects.select_related("user").filter(oauthkey=oauthkey).first()
    if key is None or not oauthkey or key.user.o_u != o_u:
        raise Nok("invalidOauthkey", "Invalid oauthkey for this o_u")
    return TTSession.objects.create(user=key.user, sesskey="sk" + secrets.token_hex(16)).sesskey


def session_user(o_u: str, u_c: str, sesskey: str) -> TTUser:
    if not sesskey or not o_u:
        raise Nok("missingParam", "o_u and sesskey are required")
    session = TTSession.objects.select_related("user").filter(sesskey=sesskey).first()
    if session is None or session.user.o_u != o_u:
        raise Nok("invalidSesskey", "Invalid or expired sesskey")
    if u_c and u_c != o_u:
        raise Nok("accessDenied", f"user {u_c} cannot be used by {o_u}")
    return session.user


def drop_all_sessions(user: TTUser) -> int:
    return TTSession.objects.filter(user=user).delete()[0]


# --- books and tables ----------------------------------------------------------------
def book_of(user: TTUser, b_c: str, b_o: str = "") -> TTBook:
    book = TTBook.objects.filter(b_c=b_c).select_related("owner").first() if b_c else None
    if book is None or book.owner_id != user.pk or (b_o and b_o != book.owner.o_u):
        raise Nok("bookNotFound", f"Book {b_c or '(none)'} not found")
    return book


def book_dict(book: TTBook) -> dict[str, Any]:
    return {
        "b_c": book.b_c,
        "b_o": book.owner.o_u,
        "id": book.pk,
        "sstamp": book.sstamp,
        "ownerPrefs": {"title": book.title},
        "nbCategories": book.tables.count(),
    }


def field_dict(field: TTField) -> dict[str, Any]:
    answer: dict[str, Any] = {"id": field.pk, "name": field.name, "type": field.type}
    if field.type == "link" and field.link_table_id:
        answer["linkedTableId"] = field.link_table_id
    return answer


def table_dict(table: TTTable, include_fields: bool = True) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "id": table.pk,
        "name": table.name,
        "lastModified": table.last_modified,
    }
    if include_fields:
        answer["fields"] = [field_dict(f) for f in table.fields.all()]
    return answer


def table_of(user: TTUser, cat_id: Any = None, cat_code: str = "", b_c: str = "") -> TTTable:
    table = None
    if cat_id not in (None, ""):
        try:
            table = TTTable.objects.select_related("book").filter(pk=int(cat_id)).first()
        except (TypeError, ValueError):
            table = None
    elif cat_code and b_c:
        table = TTTable.objects.filter(name=cat_code, book__b_c=b_c).select_related("book").first()
    if table is None or table.book.owner_id != user.pk:
        raise Nok("tableNotFound", f"Table {cat_id or cat_code or '(none)'} not found")
    return table


# --- rows ----------------------------------------------------------------------------
def _link_label(row_id: int) -> str:
    row = TTRow.objects.filter(pk=row_id).first()
    if row is None:
        return ""
    for field in row.table.fields.all():
        value = row.values.get(str(field.pk))
        if field.type != "link" and value not in (None, ""):
            return str(value)
    return ""


def cell(field: TTField, row: TTRow) -> Any:
    value = row.values.get(str(field.pk))
    if field.type == "link":
        return [{"row_id": rid, "value": _link_label(rid)} for rid in (value or [])]
    return value


def row_dict(row: TTRow, fields: list[TTField]) -> dict[str, Any]:
    return {"id": row.pk, "fields": {f.name: {"value": cell(f, row)} for f in fields}}


def _matches(row: TTRow, fields: dict[int, TTField], spec: dict[str, Any]) -> bool:
    try:
        field = fields[int(spec.get("field_id"))]
    except (TypeError, ValueError, KeyError):
        raise Nok("invalidFilter", f"unknown field_id {spec.get('field_id')!r}") from None
    json_part = spec.get("json") or {}
    predicate = json_part.get("predicate", "is")
    operand = json_part.get("operand")
    value = row.values.get(str(field.pk))
    if field.type == "link":
        ids = [str(v) for v in value or []]
        return str(operand) in ids
    left = "" if value is None else str(value)
    right = "" if operand is None else str(operand)
    if field.type == "email":
        left, right = left.lower(), right.lower()
    if predicate == "is":
        return left == right
    if predicate == "contains":
        return right.lower() in left.lower()
    raise Nok("invalidFilter", f"unknown predicate {predicate!r}")


def select_rows(table: TTTable, filter_spec: Any) -> list[TTRow]:
    rows = list(table.rows.all())
    if not filter_spec:
        return rows
    if not isinstance(filter_spec, dict):
        raise Nok("invalidFilter", "filterRowIds must be a JSON object")
    if "row_ids" in filter_spec:
        wanted = {str(r) for r in filter_spec.get("row_ids") or []}
        return [r for r in rows if str(r.pk) in wanted]
    view = filter_spec.get("applyViewFilters")
    if isinstance(view, dict) and isinstance(view.get("filterGroup"), dict):
        group = view["filterGroup"]
        filters = group.get("filters") or []
        fields = {f.pk: f for f in table.fields.all()}
        combine = any if str(group.get("operator", "and")).lower() == "or" else all
        return [r for r in rows if combine(_matches(r, fields, f) for f in filters)]
    raise Nok("invalidFilter", "filterRowIds needs row_ids or applyViewFilters.filterGroup")


def _clean_value(field: TTField, value: Any) -> Any:
    if value is None or value == "":
        return [] if field.type == "link" else ""
    if field.type == "email":
        text = str(value).strip()
        if "@" not in text:
            raise Nok("invalidValue", f"{field.name}: {text!r} is not an email address")
        return text
    if field.type == "date":
        text = str(value).strip()
        try:
            datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise Nok("invalidValue", f"{field.name}: {text!r} is not a date") from None
        return text
    if field.type == "boolean":
        if isinstance(value, bool):
            return value
        return str(value).strip().lower() in ("1", "true", "yes", "on")
    if field.type == "int":
        try:
            return int(value)
        except (TypeError, ValueError):
            raise Nok("invalidValue", f"{field.name}: {value!r} is not a number") from None
    if field.type == "link":
        items = value if isinstance(value, list) else [value]
        ids = []
        for item in items:
            raw = item.get("row_id") if isinstance(item, dict) else item
            try:
                rid = int(raw)
            except (TypeError, ValueError):
                raise Nok("invalidValue", f"{field.name}: {raw!r} is not a row id") from None
            if not TTRow.objects.filter(pk=rid, table_id=field.link_table_id).exists():
                raise Nok("invalidValue", f"{field.name}: row {rid} does not exist")
            ids.append(rid)
        return ids
    return str(value)


def write_row(
    user: TTUser, table: TTTable, row_id: str, field_values: Any, *, via: str = "api"
) -> TTRow:
    """Create (a `tmp…` id) or update one row; emits the table's automations."""
    if not isinstance(field_values, dict):
        raise Nok("invalidParam", "fieldValues must be a JSON object")
    fields = {str(f.pk): f for f in table.fields.all()}
    clean: dict[str, Any] = {}
    for key, value in field_values.items():
        field = fields.get(str(key))
        if field is None:
            raise Nok("fieldNotFound", f"Field {key} is not in table {table.name}")
        clean[str(field.pk)] = _clean_value(field, value)
    with automation.atomic():
        if str(row_id).startswith("tmp"):
            row = TTRow.objects.create(table=table, values=clean)
            event = "created"
        else:
            try:
                row = TTRow.objects.select_for_update().get(pk=int(row_id), table=table)
            except (TypeError, ValueError, TTRow.DoesNotExist):
                raise Nok("rowNotFound", f"Row {row_id} not found in {table.name}") from None
            row.values = {**row.values, **clean}
            row.save()
            event = "updated"
        touch(table)
        automation.row_changed(row, event)
    return row


def delete_row(user: TTUser, row_id: Any) -> None:
    try:
        row = TTRow.objects.select_related("table__book").get(pk=int(row_id))
    except (TypeError, ValueError, TTRow.DoesNotExist):
        raise Nok("rowNotFound", f"Row {row_id} not found") from None
    if row.table.book.owner_id != user.pk:
        raise Nok("rowNotFound", f"Row {row_id} not found")
    with transaction.atomic():
        row.delete()
        touch(row.table)


def touch(table: TTTable) -> None:
    stamp = _stamp()
    TTTable.objects.filter(pk=table.pk).update(last_modified=stamp)
    TTBook.objects.filter(pk=table.book_id).update(sstamp=stamp)
