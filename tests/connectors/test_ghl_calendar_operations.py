"""The calendars catalog (calendars.json) run through GHLConnector.call() against the
sandbox over real HTTP; the connector's object types and its reading of inbound events."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import pytest
from django.conf import settings

from integrations.connectors import http
from integrations.connectors.base import ConnectorError, ErrorKind
from integrations.connectors.ghl.connector import GHLConnector, load_catalog

from .conftest import pit_connection

CATALOG = load_catalog()
CATEGORY = "Calendars & Appointments"
START = "2031-04-01T10:00:00Z"
EXAMPLES = Path(settings.BASE_DIR) / "integrations/connectors/ghl/spec/webhook-examples"


def calendar_id(ghl: GHLConnector) -> str:
    return ghl.call("get-calendars")["calendars"][0]["id"]


def contact_id(ghl: GHLConnector) -> str:
    body = {"pageLimit": 1}
    return ghl.call("search-contacts-advanced", body=body)["contacts"][0]["id"]


def book(ghl: GHLConnector, **fields) -> dict:
    body = {
        "calendarId": calendar_id(ghl),
        "contactId": contact_id(ghl),
        "startTime": START,
        **fields,
    }
    return ghl.call("create-appointment", body=body)


def s_get_calendars(ghl):
    calendars = ghl.call("get-calendars")["calendars"]  # locationId filled in
    assert len(calendars) == 2
    assert all(c["locationId"] == ghl.connection.account_id for c in calendars)


def s_create_appointment(ghl):
    created = book(ghl, title="Booked by Syncdeck")
    assert created["id"] and created["title"] == "Booked by Syncdeck"
    assert created["locationId"] == ghl.connection.account_id
    got = ghl.call("get-appointment", eventId=created["id"])["event"]
    assert got["contactId"] == created["contactId"]


def s_get_appointment(ghl):
    created = book(ghl)
    event = ghl.call("get-appointment", eventId=created["id"])
    assert set(event) == {"event"} and event["event"]["id"] == created["id"]


def s_edit_appointment(ghl):
    created = book(ghl)
    edited = ghl.call("edit-appointment", eventId=created["id"], body={"title": "Moved"})
    assert edited["title"] == "Moved"
    assert ghl.call("get-appointment", eventId=created["id"])["event"]["title"] == "Moved"


def s_delete_event(ghl):
    created = book(ghl)
    assert ghl.call("delete-event", eventId=created["id"]) == {"succeeded": True}
    with pytest.raises(ConnectorError) as info:
        ghl.call("get-appointment", eventId=created["id"])
    assert info.value.status == 404 and info.value.permanent


def _ms(text: str) -> str:
    return str(int(datetime.fromisoformat(text).timestamp() * 1000))


def s_get_calendar_events(ghl):
    created = book(ghl, startTime="2033-06-01T12:00:00Z")
    window = {"calendarId": created["calendarId"]}
    before = ghl.call(
        "get-calendar-events",
        **window,
        startTime=_ms("2033-05-01T00:00:00+00:00"),
        endTime=_ms("2033-05-31T00:00:00+00:00"),
    )
    assert created["id"] not in {e["id"] for e in before["events"]}
    during = ghl.call(
        "get-calendar-events",
        **window,
        startTime=_ms("2033-06-01T00:00:00+00:00"),
        endTime=_ms("2033-06-02T00:00:00+00:00"),
    )
    assert [e["id"] for e in during["events"]] == [created["id"]]


SCENARIOS = {
    name[2:].replace("_", "-"): fn
    for name, fn in dict(globals()).items()
    if name.startswith("s_") and callable(fn)
}


def test_every_calendar_operation_has_a_scenario():
    # The other calendar operations are called by tests/sandbox/test_spec_conformance.py.
    ids = {op.id for op in CATALOG if op.category == CATEGORY and op.id in SCENARIOS}
    assert ids == {
        "get-calendars",
        "get-calendar-events",
        "get-appointment",
        "create-appointment",
        "edit-appointment",
        "delete-event",
    }
    assert set(SCENARIOS) == ids


def _path_pattern(path: str) -> re.Pattern[str]:
    return re.compile(re.sub(r"\\\{\w+\\\}", "[^/?]+", re.escape(path.rstrip("/"))) + r"/?(\?|$)")


@pytest.mark.parametrize("op_id", sorted(SCENARIOS))
def test_operation(op_id, ghl):
    op = CATALOG[op_id]
    with http.recording() as records:
        SCENARIOS[op_id](ghl)
    pattern = _path_pattern(op.path)
    hits = [
        r
        for r in records
        if r.method == op.method and pattern.search(r.url.split("/sandbox/ghl", 1)[1])
    ]
    assert hits, f"{op_id} was never sent ({op.method} {op.path})"
    assert hits[0].status is not None and hits[0].status < 300
    assert all(r.request_headers.get("Version") == "2021-04-15" for r in hits)
    assert all(r.request_headers.get("Authorization") == http.REDACTED for r in hits)


def test_delete_of_a_gone_event_is_a_404(ghl):
    with pytest.raises(ConnectorError) as info:
        ghl.call("delete-event", eventId="no-such-event")
    assert info.value.status == 404
    assert info.value.kind == ErrorKind.PERMANENT


def test_create_without_required_fields_is_permanent(ghl):
    with pytest.raises(ConnectorError) as info:
        ghl.call("create-appointment", body={"startTime": START})
    assert info.value.status == 400 and info.value.permanent
    assert "calendarId should not be empty" in info.value.message


def test_missing_scope_is_an_auth_error(ghl_sandbox, workspace):
    conn = pit_connection(workspace, scopes="contacts.readonly calendars.readonly")
    with pytest.raises(ConnectorError) as info:
        conn.connector.call("get-appointment", eventId="whatever")
    assert info.value.status == 401
    assert info.value.kind == ErrorKind.AUTH
    assert "calendars/events.readonly" in info.value.message


def test_sample_appointment(ghl):
    record, where = ghl.sample("appointment")
    assert record is not None and record["id"] and record["contactId"]
    assert "appointment" in where


# --- object types and inbound events ----------------------------------------------------


def test_object_types_declare_the_contact_as_parent():
    types = GHLConnector.object_types
    assert set(types) == {"contact", "task", "note", "appointment"}
    assert types["contact"].parent is None
    for child in ("task", "note", "appointment"):
        assert types[child].parent == "contact"
        assert types[child].parent_field == "contactId"
        assert types[child].id_field == "id"
    assert set(GHLConnector.record_fields["appointment"]) >= {"calendarId", "startTime"}
    assert {"AppointmentCreate", "AppointmentUpdate", "AppointmentDelete"} <= set(
        GHLConnector.event_types
    )


def _example(name: str) -> dict:
    path = EXAMPLES / f"{name}.json"
    if not path.exists():
        pytest.skip(f"{path} is not here")
    return json.loads(path.read_text())[0]


@pytest.mark.parametrize("name", ["AppointmentCreate", "AppointmentUpdate", "AppointmentDelete"])
def test_event_record_of_an_appointment_event_is_the_nested_record(name):
    payload = _example(name)
    record = GHLConnector.event_record(payload)
    assert record["id"] == payload["appointment"]["id"]
    assert record["contactId"] == payload["appointment"]["contactId"]
    assert record["locationId"] == payload["locationId"]
    assert "appointment" not in record and "type" not in record
    assert payload["appointment"].get("locationId") is None  # the payload is not changed


@pytest.mark.parametrize(
    "name", ["ContactCreate", "ContactTagUpdate", "TaskCreate", "TaskComplete", "NoteCreate"]
)
def test_event_record_of_flat_events_is_the_payload(name):
    payload = _example(name)
    record = GHLConnector.event_record(payload)
    assert record == payload and record["id"]


def test_event_record_of_a_task_without_contact_keeps_it_missing():
    # FACTS §7: TaskCreate has been seen without contactId; GHL offers no task lookup by
    # id alone, so the record says so and the engine must refuse it as a validation error.
    payload = {"type": "TaskCreate", "locationId": "L", "id": "T1", "title": "x"}
    record = GHLConnector.event_record(payload)
    assert record["id"] == "T1" and "contactId" not in record
