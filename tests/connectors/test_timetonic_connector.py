"""The TimeTonic connector against its simulator over real HTTP: connecting both ways,
settings, rows, paging, polling with row hashes, and every bad input the issue names."""

from __future__ import annotations

import pytest

from integrations.connectors import http
from integrations.connectors.base import ConnectorError, ErrorKind
from integrations.models import ConnectionStatus

from .timetonic_fixtures import (  # noqa: F401
    tt_base,
    tt_conn,
    tt_connection,
    tt_control,
    tt_info,
    tt_login_conn,
)


def test_login_keeps_the_oauthkey_and_never_the_password(tt_login_conn, tt_base):  # noqa: F811
    creds = tt_login_conn.credentials
    assert set(creds) == {"o_u", "oauthkey", "sesskey", "webhook_secret"}
    password = tt_info(tt_base)["password"]
    assert password not in str(creds) and password not in str(tt_login_conn.config)
    assert tt_login_conn.account_id == "syncdeck_demo"
    assert tt_login_conn.connector.test().ok


def test_a_wrong_password_is_a_clear_auth_error(tt_base, workspace):  # noqa: F811
    from integrations.models import Connection

    conn = Connection(workspace=workspace, kind="timetonic")
    with pytest.raises(ConnectorError) as caught:
        conn.connector.connect_with(
            "login",
            {"base_url": tt_base, "login": "api_syncdeck", "password": "no", "appkey": "x"},
        )
    assert caught.value.kind == ErrorKind.AUTH and "TimeTonic" in caught.value.message


def test_settings_offer_books_and_tables_and_the_mapping_follows_them(tt_conn):  # noqa: F811
    fields = {f.name: f for f in tt_conn.connector.settings_fields()}
    assert [c[0] for c in fields["b_c"].choices] == ["syncdeck-crm"]
    assert {label for _, label in fields["table_task"].choices} >= {"Contacts", "Tasks"}
    assert fields["table_task"].initial  # guessed from the table's name
    connector = tt_conn.connector
    assert connector.record_fields["contact"][:3] == ("First name", "Last name", "Email")
    assert connector.object_types["task"].parent_field == "Contact"
    record, where = connector.sample("contact")
    assert record["Email"] == "ada@timetonic.example" and "Contacts" in where
    assert tt_conn.connector.custom_field_names("contact") == {}


def test_rows_are_found_created_updated_and_deleted(tt_conn):  # noqa: F811
    connector = tt_conn.connector
    found = connector.call("contact.find", email="ADA@timetonic.example")["rows"]
    assert [r["First name"] for r in found] == ["Ada"]
    made = connector.call("contact.create", body={"First name": "Bo", "Email": "bo@example.com"})
    assert made["id"].isdigit() and made["Email"] == "bo@example.com"
    connector.call("contact.update", id=made["id"], body={"Phone": "+33600000000"})
    again = connector.get_record("contact", made["id"])
    assert again["Phone"] == "+33600000000" and again["First name"] == "Bo"
    connector.call("contact.delete", id=made["id"])
    assert connector.get_record("contact", made["id"]) is None
    with pytest.raises(ConnectorError) as caught:
        connector.call("contact.delete", id=made["id"])
    assert caught.value.status == 404


def test_bulk_writes_in_batches_and_paged_reads(tt_conn):  # noqa: F811
    connector = tt_conn.connector
    rows = [{"First name": f"P{n}", "Email": f"p{n}@example.com"} for n in range(205)]
    with http.recording() as calls:
        ids = connector.call("contact.bulk_upsert", body={"rows": rows})["ids"]
    assert len(ids) == 205 and len(set(ids)) == 205
    assert len([c for c in calls if "createOrUpdateTableRows" in c.request_body]) == 21
    with http.recording() as calls:
        records, _ = connector.poll({"object": "contact"}, "")
    assert len(records) == 207  # 2 seeded + 205
    assert len([c for c in calls if "getTableValues" in c.request_body]) == 3  # 100+100+7


def test_polling_hashes_each_row(tt_conn):  # noqa: F811
    connector = tt_conn.connector
    first, cursor = connector.poll({"object": "contact"}, "")
    assert {r["_change"] for r in first} == {"new"} and len(first) == 2
    nothing, cursor = connector.poll({"object": "contact"}, cursor)
    assert nothing == []
    ada = first[0]
    connector.call("contact.update", id=ada["id"], body={"Company": "Babbage & co"})
    connector.call("contact.create", body={"Email": "new@example.com"})
    changed, cursor = connector.poll({"object": "contact"}, cursor)
    assert sorted(r["_change"] for r in changed) == ["changed", "new"]
    assert changed[0]["updated_at"].startswith("md5:")
    connector.call("contact.delete", id=ada["id"])
    gone, cursor = connector.poll({"object": "contact", "include_deleted": True}, cursor)
    assert gone == [{"id": ada["id"], "_change": "deleted", "updated_at": "deleted"}]
    preview, same = connector.poll({"object": "contact", "max_records": 1}, cursor)
    assert len(preview) == 1 and same == cursor


def test_a_wrong_sesskey_fails_clearly_and_needs_reauth(tt_base, workspace):  # noqa: F811
    conn = tt_connection(workspace, tt_base, sesskey="wrong")
    result = conn.connector.test()
    assert not result.ok and "sesskey" in result.message.lower()
    conn.refresh_from_db()
    assert conn.status == ConnectionStatus.NEEDS_REAUTH
    assert "paste a new sesskey" in conn.last_error


def test_a_dropped_session_is_reminted_once(tt_login_conn, tt_base):  # noqa: F811
    connector = tt_login_conn.connector
    old = tt_login_conn.credentials["sesskey"]
    connector.rpc("dropAllSessions")
    assert connector.call("contact.find", email="ada@timetonic.example")["rows"]
    tt_login_conn.refresh_from_db()
    assert tt_login_conn.credentials["sesskey"] != old
    assert tt_login_conn.status == ConnectionStatus.ACTIVE
    # Refused again after the new one: no second mint, the connection needs re-auth.
    tt_control(tt_base, "config", forced_code="invalidSesskey", forced_msg="Bad", forced_count=3)
    with pytest.raises(ConnectorError) as caught:
        tt_login_conn.connector.call("contact.find", email="ada@timetonic.example")
    assert caught.value.kind == ErrorKind.AUTH
    tt_login_conn.refresh_from_db()
    assert tt_login_conn.status == ConnectionStatus.NEEDS_REAUTH


def test_a_nok_with_an_unknown_code_is_a_clear_permanent_error(tt_conn, tt_base):  # noqa: F811
    tt_control(tt_base, "config", forced_code="E_MYSTERY", forced_msg="Odd", forced_count=1)
    with pytest.raises(ConnectorError) as caught:
        tt_conn.connector.call("contact.find", email="x@example.com")
    assert caught.value.permanent and caught.value.kind == ErrorKind.PERMANENT
    assert "E_MYSTERY" in caught.value.message and "Odd" in caught.value.message


def test_a_deleted_mapped_field_is_a_validation_error(tt_conn, tt_base):  # noqa: F811
    tt_control(tt_base, "fields", table="Contacts", delete="Phone")
    with pytest.raises(ConnectorError) as caught:
        tt_conn.connector.call("contact.create", body={"Email": "a@b.co", "Phone": "+331"})
    assert caught.value.kind == ErrorKind.VALIDATION
    assert "“Phone” is not in TimeTonic table “Contacts”" in caught.value.message


def test_deadlocks_are_retried_once_then_transient(tt_conn, tt_base):  # noqa: F811
    tt_control(tt_base, "config", deadlock_rate=1)
    with http.recording() as calls, pytest.raises(ConnectorError) as caught:
        tt_conn.connector.call("note.create", body={"Text": "x"})
    assert caught.value.kind == ErrorKind.TRANSIENT and not caught.value.permanent
    writes = [c for c in calls if "createOrUpdateTableRow" in c.request_body]
    assert len(writes) == 2


def test_secrets_never_reach_call_records(tt_login_conn):  # noqa: F811
    creds = tt_login_conn.credentials
    with http.recording() as calls:
        tt_login_conn.connector.call("contact.find", email="ada@timetonic.example")
    text = " ".join(c.request_body + c.url + c.response_body for c in calls)
    assert creds["sesskey"] not in text and creds["oauthkey"] not in text


def test_inbound_bodies_become_records_and_events(tt_conn):  # noqa: F811
    body = {
        "event": "task.updated",
        "catId": 2,
        "rowId": 9,
        "changedAt": "2031-01-01T00:00:00.000Z",
        "row": {"Title": "Call", "Contact": [4], "Done": True},
    }
    record = tt_conn.connector.event_record(body)
    assert record == {"id": "9", "Title": "Call", "Contact": "4", "Done": True}
    assert tt_conn.connector.inbound_event(body) == (
        "task.updated",
        "task.updated:9:2031-01-01T00:00:00.000Z",
    )
    assert tt_conn.connector.inbound_auth == "bearer"
