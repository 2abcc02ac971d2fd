"""The TimeTonic simulator's api.php: envelopes, keys and sessions, tables, rows, paging,
filters, faults and the "Call an API" automation."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from sandbox.timetonic import seed
from sandbox.timetonic.models import TTConfig, TTDelivery, TTRow

URL = "/sandbox/timetonic/live/api.php"


@pytest.fixture
def tt(db, client):
    seed.reset()

    def call(req: str, auth: bool = True, **params):
        data = {"req": req, "version": "6.49q/6.49", **params}
        if auth:
            data.update(o_u=seed.O_U, u_c=seed.O_U, sesskey=seed.SESSKEY)
        answer = client.post(URL, data)
        assert answer.status_code == 200, answer.content[:300]
        return answer.json()

    return call


def tables(tt) -> dict[str, dict]:
    cats = tt("getBookTables", b_c=seed.B_C)["bookTables"]["categories"]
    return {c["name"]: c for c in cats}


def field_ids(table: dict) -> dict[str, int]:
    return {f["name"]: f["id"] for f in table["fields"]}


def test_it_answers_nok_at_http_200_for_a_wrong_sesskey(tt):
    answer = tt("getAllBooks", auth=False, o_u=seed.O_U, u_c=seed.O_U, sesskey="wrong")
    assert answer["status"] == "nok"
    assert answer["errorCode"] == "invalidSesskey" and answer["errorMsg"]


def test_it_runs_the_three_step_login(tt):
    appkey = tt("createAppkey", auth=False, appname="syncdeck")["appkey"]
    bad = tt("createOauthkey", auth=False, login=seed.LOGIN, pwd="nope", appkey=appkey)
    assert bad["status"] == "nok"
    ok = tt("createOauthkey", auth=False, login=seed.LOGIN, pwd=seed.PASSWORD, appkey=appkey)
    assert ok["o_u"] == seed.O_U and ok["oauthkey"]
    sesskey = tt("createSesskey", auth=False, o_u=ok["o_u"], oauthkey=ok["oauthkey"])["sesskey"]
    info = tt("getUserInfo", auth=False, o_u=seed.O_U, u_c=seed.O_U, sesskey=sesskey)
    assert info["status"] == "ok" and info["userInfo"]["u_c"] == seed.O_U


def test_drop_all_sessions_kills_every_sesskey(tt):
    assert tt("dropAllSessions")["status"] == "ok"
    assert tt("getAllBooks")["errorCode"] == "invalidSesskey"


def test_books_and_tables_with_typed_fields(tt):
    books = tt("getAllBooks")["allBooks"]["books"]
    assert [b["b_c"] for b in books] == [seed.B_C]
    found = tables(tt)
    assert set(found) == {"Contacts", "Tasks", "Notes", "Appointments"}
    types = {f["name"]: f["type"] for f in found["Tasks"]["fields"]}
    assert types["Contact"] == "link" and types["Due date"] == "date" and types["Done"] == "boolean"
    assert tt("getBookTables", b_c="nope")["errorCode"] == "bookNotFound"


def test_rows_format_paging_and_filters(tt):
    contacts = tables(tt)["Contacts"]
    ids = field_ids(contacts)
    for n in range(5):
        values = {str(ids["Email"]): f"p{n}@example.com", str(ids["First name"]): f"P{n}"}
        made = tt(
            "createOrUpdateTableRow",
            rowId=f"tmp{n}",
            catId=contacts["id"],
            fieldValues=json.dumps(values),
        )
        assert made["status"] == "ok" and made["rows"][0]["id"]
    page = tt("getTableValues", catId=contacts["id"], format="rows", maxRows=3, offset=0)
    rows = page["tableValues"]["rows"]
    assert len(rows) == 3 and rows[0]["fields"]["Email"]["value"] == "ada@timetonic.example"
    rest = tt("getTableValues", catId=contacts["id"], format="rows", maxRows=3, offset=6)
    assert len(rest["tableValues"]["rows"]) == 1  # 2 seeded + 5 new = 7
    flt = {
        "applyViewFilters": {
            "filterGroup": {
                "operator": "and",
                "filters": [
                    {
                        "id": "tmp0",
                        "json": {"predicate": "is", "operand": "P3@EXAMPLE.com"},
                        "field_id": ids["Email"],
                        "filter_type": "text",
                    }
                ],
            }
        }
    }
    found = tt("getTableValues", catId=contacts["id"], format="rows", filterRowIds=json.dumps(flt))[
        "tableValues"
    ]["rows"]
    assert [r["fields"]["First name"]["value"] for r in found] == ["P3"]
    by_id = tt(
        "getTableValues",
        catId=contacts["id"],
        format="rows",
        filterRowIds=json.dumps({"row_ids": [found[0]["id"]]}),
    )
    assert len(by_id["tableValues"]["rows"]) == 1
    default = tt("getTableValues", catId=contacts["id"])["tableValues"]
    assert default["fields"][0]["values"][0]["id"] and "lastModified" in default


def test_writes_check_types_fields_and_links(tt):
    found = tables(tt)
    tasks, ids = found["Tasks"], field_ids(found["Tasks"])

    def write(values, row_id="tmpX"):
        return tt(
            "createOrUpdateTableRow",
            rowId=row_id,
            catId=tasks["id"],
            fieldValues=json.dumps(values),
        )

    assert write({"999999": "x"})["errorCode"] == "fieldNotFound"
    assert write({str(ids["Due date"]): "tomorrow"})["errorCode"] == "invalidValue"
    assert write({str(ids["Contact"]): [{"row_id": 999999}]})["errorCode"] == "invalidValue"
    ada = TTRow.objects.filter(table__name="Contacts").first()
    made = write({str(ids["Title"]): "Call", str(ids["Contact"]): [{"row_id": ada.pk}]})
    row_id = made["rows"][0]["id"]
    updated = tt(
        "createOrUpdateTableRow",
        rowId=row_id,
        fieldValues=json.dumps({str(ids["Done"]): True}),
        returnUpdatedRows=1,
    )
    fields = updated["rows"][0]["fields"]
    assert fields["Done"]["value"] is True and fields["Title"]["value"] == "Call"
    assert fields["Contact"]["value"][0]["row_id"] == ada.pk
    assert tt("deleteTableRow", rowId=row_id)["status"] == "ok"
    assert tt("deleteTableRow", rowId=row_id)["errorCode"] == "rowNotFound"


def test_bulk_rows_and_unknown_functions(tt):
    notes = tables(tt)["Notes"]
    text = str(field_ids(notes)["Text"])
    rows = {f"tmp_{n}": {text: f"note {n}"} for n in range(3)}
    answer = tt("createOrUpdateTableRows", catId=notes["id"], rows=json.dumps(rows))
    assert [r["requestedId"] for r in answer["rows"]] == list(rows)
    assert tt("getBookEvents")["errorCode"] == "notSimulated"
    assert tt("makeCoffee")["errorCode"] == "unknownReq"


def test_forced_errors_and_deadlocks(tt):
    TTConfig.objects.filter(pk=1).update(forced_code="weird", forced_msg="Odd", forced_count=1)
    assert tt("getAllBooks") == {"status": "nok", "errorCode": "weird", "errorMsg": "Odd"}
    assert tt("getAllBooks")["status"] == "ok"
    TTConfig.objects.filter(pk=1).update(deadlock_rate=1)
    notes = tables(tt)["Notes"]
    answer = tt("createOrUpdateTableRow", rowId="tmp1", catId=notes["id"], fieldValues="{}")
    assert "Deadlock" in answer["errorMsg"]


def test_a_changed_row_is_posted_with_a_bearer_token(tt, client, settings):
    settings.SANDBOX_TIMETONIC_DELIVERY_SYNC = True
    got: list[tuple[str, dict]] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            got.append((self.headers.get("Authorization"), body))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/in"
        answer = client.post(
            "/sandbox/timetonic/_control/automations",
            json.dumps(
                {"table": "Contacts", "url": url, "token": "s3cret", "event_prefix": "contact"}
            ),
            content_type="application/json",
        )
        assert answer.status_code == 200
        contacts = tables(tt)["Contacts"]
        email = str(field_ids(contacts)["Email"])
        tt(
            "createOrUpdateTableRow",
            rowId="tmpA",
            catId=contacts["id"],
            fieldValues=json.dumps({email: "new@example.com"}),
        )
    finally:
        server.shutdown()
    assert len(got) == 1
    auth, body = got[0]
    assert auth == "Bearer s3cret"
    assert body["event"] == "contact.created" and body["row"]["Email"] == "new@example.com"
    assert TTDelivery.objects.get().state == "ok"


def test_the_browse_page_edits_rows(tt, client):
    page = client.get("/sandbox/timetonic/_ui/")
    assert page.status_code == 200 and b"Contacts" in page.content
    contacts = tables(tt)["Contacts"]
    ids = field_ids(contacts)
    answer = client.post(
        f"/sandbox/timetonic/_ui/tables/{contacts['id']}/rows/new/",
        {f"f{ids['Email']}": "ui@example.com", f"f{ids['First name']}": "Ui"},
    )
    assert answer.status_code == 302
    emails = [row.values.get(str(ids["Email"])) for row in TTRow.objects.all()]
    assert "ui@example.com" in emails
    assert client.get(f"/sandbox/timetonic/_ui/tables/{contacts['id']}/").status_code == 200
