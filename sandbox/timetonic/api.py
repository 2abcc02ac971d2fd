"""The simulated `POST /live/api.php`: one endpoint, `req=<function>`, form-encoded
parameters (query string or body), answers `{"status": "ok"|"nok", ...}` with HTTP 200.

Only functions TimeTonic documents are served; a documented one this simulator does not
model answers nok `notSimulated`, an unknown one nok `unknownReq`.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from typing import Any

from django.db.models import F
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from sandbox.ghl.api import retry_locked
from sandbox.kit import faults

from . import services
from .models import TTBook, TTConfig, TTUser
from .services import Nok

DEADLOCK = "Deadlock found when trying to get lock; try restarting transaction"
# Documented in TimeTonic's index, not modelled here.
DOCUMENTED = {
    "getOrCreateSessKey",
    "getBookMessages",
    "sendMsg",
    "deleteMsg",
    "getBookEvents",
    "getNamedTableValues",
    "getTableValueSubset",
    "getTableRows",
    "listTableRowsById",
    "updateTableValue",
    "getTableValueComments",
    "editTableValueComments",
    "fileUpload",
}
WRITES = {"createOrUpdateTableRow", "createOrUpdateTableRows", "deleteTableRow", "deleteTableRows"}


def _ok(**data: Any) -> JsonResponse:
    return JsonResponse({"status": "ok", **data})


def _nok(code: str, message: str) -> JsonResponse:
    return JsonResponse({"status": "nok", "errorCode": code, "errorMsg": message})


def _json_param(p: dict[str, str], name: str, default: Any = None) -> Any:
    raw = p.get(name)
    if raw in (None, ""):
        return default
    try:
        return json.loads(raw)
    except ValueError:
        raise Nok("invalidParam", f"{name} is not valid JSON") from None


def _int_param(p: dict[str, str], name: str, default: int) -> int:
    raw = p.get(name)
    if raw in (None, ""):
        return default
    try:
        return max(0, int(raw))
    except ValueError:
        raise Nok("invalidParam", f"{name} must be a number") from None


def _user(p: dict[str, str]) -> TTUser:
    return services.session_user(p.get("o_u", ""), p.get("u_c", ""), p.get("sesskey", ""))


# --- functions -----------------------------------------------------------------------
def create_appkey(p):
    return _ok(appkey=services.create_appkey(p.get("appname", "")))


def create_oauthkey(p):
    oauthkey, o_u = services.create_oauthkey(
        p.get("login", ""), p.get("pwd", ""), p.get("appkey", "")
    )
    return _ok(oauthkey=oauthkey, o_u=o_u)


def create_sesskey(p):
    return _ok(sesskey=services.create_sesskey(p.get("o_u", ""), p.get("oauthkey", "")))


def drop_all_sessions(p):
    dropped = services.drop_all_sessions(_user(p))
    return _ok(nbDropped=dropped)


def get_user_info(p):
    user = _user(p)
    return _ok(userInfo={"u_c": user.o_u, "name": user.name, "email": user.email})


def get_all_books(p):
    user = _user(p)
    books = [services.book_dict(b) for b in TTBook.objects.filter(owner=user).order_by("pk")]
    return _ok(allBooks={"nbBooks": len(books), "books": books})


def get_book_info(p):
    user = _user(p)
    book = services.book_of(user, p.get("b_c", ""), p.get("b_o", ""))
    return _ok(bookInfo=services.book_dict(book))


def get_book_tables(p):
    user = _user(p)
    book = services.book_of(user, p.get("b_c", ""), p.get("b_o", ""))
    include = p.get("includeFields", "1") not in ("0", "false")
    tables = [services.table_dict(t, include) for t in book.tables.order_by("pk")]
    return _ok(bookTables={"categories": tables})


def get_table_values(p):
    user = _user(p)
    table = services.table_of(user, p.get("catId"), p.get("catCode", ""), p.get("b_c", ""))
    fields = list(table.fields.all())
    wanted = _json_param(p, "fieldIds")
    if wanted:
        ids = {str(i) for i in wanted}
        fields = [f for f in fields if str(f.pk) in ids]
    rows = services.select_rows(table, _json_param(p, "filterRowIds"))
    offset = _int_param(p, "offset", 0)
    max_rows = _int_param(p, "maxRows", 0)
    rows = rows[offset : offset + max_rows] if max_rows else rows[offset:]
    values: dict[str, Any] = {"lastModified": table.last_modified, "sstamp": table.book.sstamp}
    if p.get("format") == "rows":
        values["rows"] = [services.row_dict(r, fields) for r in rows]
    else:
        values["fields"] = [
            {
                **services.field_dict(f),
                "values": [{"id": r.pk, "value": services.cell(f, r)} for r in rows],
            }
            for f in fields
        ]
    return _ok(tableValues=values)


def create_or_update_table_row(p):
    user = _user(p)
    row_id = p.get("rowId", "")
    if not row_id:
        raise Nok("missingParam", "rowId is required (tmp… for a new row)")
    if str(row_id).startswith("tmp") or p.get("catId"):
        table = services.table_of(user, p.get("catId"))
    else:
        table = _table_of_row(user, row_id)
    row = services.write_row(user, table, row_id, _json_param(p, "fieldValues", {}))
    if p.get("returnUpdatedRows") in ("1", "true"):
        return _ok(rows=[services.row_dict(row, list(table.fields.all()))])
    return _ok(rows=[{"id": row.pk}])


def create_or_update_table_rows(p):
    user = _user(p)
    table = services.table_of(user, p.get("catId"))
    rows = _json_param(p, "rows", {})
    if not isinstance(rows, dict):
        raise Nok("invalidParam", "rows must be a JSON object {rowId: fieldValues}")
    written = []
    for row_id, values in rows.items():
        row = services.write_row(user, table, str(row_id), values)
        written.append({"id": row.pk, "requestedId": str(row_id)})
    return _ok(rows=written)


def _table_of_row(user, row_id):
    from .models import TTRow

    try:
        row = TTRow.objects.select_related("table__book").get(pk=int(row_id))
    except (TypeError, ValueError, TTRow.DoesNotExist):
        raise Nok("rowNotFound", f"Row {row_id} not found") from None
    if row.table.book.owner_id != user.pk:
        raise Nok("rowNotFound", f"Row {row_id} not found")
    return row.table


def delete_table_row(p):
    services.delete_row(_user(p), p.get("rowId"))
    return _ok()


def delete_table_rows(p):
    user = _user(p)
    ids = _json_param(p, "rowIds", [])
    if not isinstance(ids, list):
        raise Nok("invalidParam", "rowIds must be a JSON array")
    for row_id in ids:
        services.delete_row(user, row_id)
    return _ok()


FUNCTIONS: dict[str, Callable[[dict[str, str]], JsonResponse]] = {
    "createAppkey": create_appkey,
    "createOauthkey": create_oauthkey,
    "createSesskey": create_sesskey,
    "dropAllSessions": drop_all_sessions,
    "getUserInfo": get_user_info,
    "getAllBooks": get_all_books,
    "getBookInfo": get_book_info,
    "getBookTables": get_book_tables,
    "getTableValues": get_table_values,
    "createOrUpdateTableRow": create_or_update_table_row,
    "createOrUpdateTableRows": create_or_update_table_rows,
    "deleteTableRow": delete_table_row,
    "deleteTableRows": delete_table_rows,
}


def _server_error() -> HttpResponse:
    response = HttpResponse("Service Unavailable", status=503, content_type="text/plain")
    response["X-Sandbox-Fault"] = "injected"
    return response


def _too_many() -> HttpResponse:
    return HttpResponse("Too Many Requests", status=429, content_type="text/plain")


@csrf_exempt
def api_php(request: HttpRequest) -> HttpResponse:
    if request.method not in ("GET", "POST"):
        response = HttpResponse(status=405)
        response["Allow"] = "GET, POST"
        return response
    TTConfig.objects.filter(pk=1).update(api_requests=F("api_requests") + 1)
    config = TTConfig.load()
    fault = faults.maybe_fault(config, _server_error, _too_many)
    if fault is not None:
        return fault
    params = {**request.GET.dict(), **request.POST.dict()}
    req = params.get("req", "")
    return _answer(req, params, config)


@retry_locked
def _answer(req: str, params: dict[str, str], config: TTConfig) -> HttpResponse:
    if config.forced_count > 0 and config.forced_code:
        TTConfig.objects.filter(pk=1).update(forced_count=F("forced_count") - 1)
        return _nok(config.forced_code, config.forced_msg or "Forced error")
    function = FUNCTIONS.get(req)
    if function is None:
        if req in DOCUMENTED:
            return _nok("notSimulated", f"{req} is not simulated by this sandbox")
        return _nok("unknownReq", f"Unknown req {req!r}")
    if req in WRITES and config.deadlock_rate and random.random() < config.deadlock_rate:
        return _nok("sqlError", DEADLOCK)
    try:
        return function(params)
    except Nok as nok:
        return _nok(nok.code, nok.message)
