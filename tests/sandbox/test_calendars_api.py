"""Calendars and appointments of the GHL sandbox, as calendars.json describes them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sandbox.ghl.control import mint_pit
from sandbox.models import SandboxAppointment, SandboxCalendar, SandboxContact

V = "2021-04-15"  # the Version every calendars.json operation declares
EVENT_KEYS = {  # CalendarEventDTO's required fields
    "id",
    "title",
    "calendarId",
    "locationId",
    "contactId",
    "groupId",
    "appointmentStatus",
    "assignedUserId",
    "users",
    "startTime",
    "endTime",
    "dateAdded",
    "dateUpdated",
}
RESPONSE_KEYS = {"calendarId", "locationId", "contactId", "id"}  # AppointmentSchemaResponse


def ms(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp() * 1000)


@pytest.fixture
def cal_token(seeded):
    scopes = "contacts.readonly calendars.readonly calendars/events.readonly calendars/events.write"
    return mint_pit(seeded.id, scopes)[0]


@pytest.fixture
def cal(api, cal_token):
    def call(method, path, body=None, **kw):
        kw.setdefault("token", cal_token)
        kw.setdefault("version", V)
        return api(method, path, body, **kw)

    return call


@pytest.fixture
def calendar(seeded):
    return SandboxCalendar.objects.filter(location=seeded).order_by("name").first()


@pytest.fixture
def contact(seeded):
    return SandboxContact.objects.filter(location=seeded).order_by("date_added").first()


def book(cal, seeded, calendar, contact, **fields):
    body = {
        "calendarId": calendar.id,
        "locationId": seeded.id,
        "contactId": contact.id,
        "startTime": "2031-03-04T10:00:00+00:00",
        **fields,
    }
    resp = cal("POST", "/calendars/events/appointments", body)
    assert resp.status_code == 200, resp.content
    return resp.json()


def test_seed_gives_every_location_two_calendars(seeded, other_location):
    for location in (seeded, other_location):
        assert SandboxCalendar.objects.filter(location=location).count() == 2
    appointments = SandboxAppointment.objects.filter(location=seeded)
    calendars = set(SandboxCalendar.objects.values_list("pk", flat=True))
    assert appointments and all(a.calendar_id in calendars for a in appointments)


def test_list_calendars(cal, seeded, calendar):
    resp = cal("GET", "/calendars/", locationId=seeded.id)
    assert resp.status_code == 200
    calendars = resp.json()["calendars"]
    assert {c["name"] for c in calendars} == {"Cleanings", "Consultations"}
    assert all({"id", "locationId", "name"} <= set(c) for c in calendars)
    assert all(c["locationId"] == seeded.id for c in calendars)
    SandboxCalendar.objects.filter(pk=calendar.pk).update(is_active=False)
    shown = cal("GET", "/calendars/", locationId=seeded.id, showDrafted="false").json()
    assert calendar.id not in {c["id"] for c in shown["calendars"]}


def test_list_calendars_needs_its_location(cal, other_location):
    assert cal("GET", "/calendars/").status_code == 400
    resp = cal("GET", "/calendars/", locationId=other_location.id)
    assert resp.status_code == 403


def test_create_get_update_delete_appointment(cal, seeded, calendar, contact):
    created = book(cal, seeded, calendar, contact, title="Check-up", address="Room 2")
    assert set(created) >= RESPONSE_KEYS
    assert created["title"] == "Check-up" and created["contactId"] == contact.id
    assert created["appointmentStatus"] == "confirmed"
    assert created["meetingLocationType"] == "custom"  # address given → custom
    # No endTime: the calendar's slot length.
    length = ms(created["endTime"]) - ms(created["startTime"])
    assert length == calendar.slot_duration * 60_000
    eid = created["id"]

    got = cal("GET", f"/calendars/events/appointments/{eid}")
    assert got.status_code == 200
    event = got.json()["event"]
    assert set(event) >= EVENT_KEYS
    assert event["calendarId"] == calendar.id and event["locationId"] == seeded.id
    assert ms(event["startTime"]) == ms("2031-03-04T10:00:00+00:00")

    edited = cal(
        "PUT",
        f"/calendars/events/appointments/{eid}",
        {"title": "Moved", "startTime": "2031-03-05T09:00:00Z", "appointmentStatus": "showed"},
    )
    assert edited.status_code == 200, edited.content
    assert edited.json()["title"] == "Moved"
    assert edited.json()["appointmentStatus"] == "showed"
    row = SandboxAppointment.objects.get(pk=eid)
    assert row.start_time == datetime(2031, 3, 5, 9, tzinfo=UTC)
    assert (row.end_time - row.start_time).total_seconds() == calendar.slot_duration * 60

    deleted = cal("DELETE", f"/calendars/events/{eid}", {})
    assert deleted.status_code == 201
    assert deleted.json() == {"succeeded": True}
    assert not SandboxAppointment.objects.filter(pk=eid).exists()


def test_contact_appointments_lists_booked_ones(cal, api, seeded, calendar, contact):
    created = book(cal, seeded, calendar, contact)
    resp = api("GET", f"/contacts/{contact.id}/appointments")  # contacts.readonly, 2021-07-28
    assert resp.status_code == 200
    events = resp.json()["events"]
    assert created["id"] in {e["id"] for e in events}
    one = next(e for e in events if e["id"] == created["id"])
    # GetEventSchema: "2021-07-16 11:00:00" times, status and appointmentStatus.
    assert one["startTime"] == "2031-03-04 10:00:00"
    assert one["appointmentStatus"] == "confirmed" and one["status"] == "booked"


def test_list_events_by_calendar_and_window(cal, seeded, calendar, contact):
    inside = book(cal, seeded, calendar, contact, startTime="2032-01-10T10:00:00Z")
    book(cal, seeded, calendar, contact, startTime="2032-02-10T10:00:00Z")
    window = {
        "locationId": seeded.id,
        "calendarId": calendar.id,
        "startTime": str(ms("2032-01-01T00:00:00+00:00")),
        "endTime": str(ms("2032-01-31T00:00:00+00:00")),
    }
    resp = cal("GET", "/calendars/events", **window)
    assert resp.status_code == 200, resp.content
    events = resp.json()["events"]
    assert [e["id"] for e in events] == [inside["id"]]
    assert set(events[0]) >= EVENT_KEYS
    other = SandboxCalendar.objects.filter(location=seeded).exclude(pk=calendar.pk).first()
    resp = cal("GET", "/calendars/events", **{**window, "calendarId": other.id})
    assert resp.json() == {"events": []}


def test_list_events_validation(cal, seeded, calendar):
    resp = cal("GET", "/calendars/events", locationId=seeded.id)
    assert resp.status_code == 400
    body = resp.json()
    assert body["statusCode"] == 400 and body["error"] == "Bad Request"
    assert "startTime should not be empty" in body["message"]
    assert "endTime should not be empty" in body["message"]
    assert "Either of userId, groupId or calendarId is required" in body["message"]
    resp = cal(
        "GET",
        "/calendars/events",
        locationId=seeded.id,
        calendarId=calendar.id,
        startTime="yesterday",
        endTime="1",
    )
    assert resp.status_code == 400
    assert resp.json()["message"] == ["startTime must be a number string (milliseconds)"]


def test_create_validation_errors(cal, seeded, calendar, contact):
    resp = cal("POST", "/calendars/events/appointments", {"title": 5, "colour": "red"})
    assert resp.status_code == 400
    body = resp.json()
    assert body["statusCode"] == 400 and body["error"] == "Bad Request"
    for message in (
        "property colour should not exist",
        "calendarId should not be empty",
        "locationId should not be empty",
        "contactId should not be empty",
        "startTime should not be empty",
        "title must be a string",
    ):
        assert message in body["message"], message
    base = {"calendarId": calendar.id, "locationId": seeded.id, "contactId": contact.id}
    cases = [
        ({"startTime": "not a date"}, "startTime must be a valid ISO 8601 date string"),
        (
            {"startTime": "2031-01-01T10:00:00Z", "appointmentStatus": "booked"},
            "appointmentStatus must be one of the following values: "
            "new, confirmed, cancelled, showed, noshow, invalid",
        ),
        (
            {"startTime": "2031-01-01T10:00:00Z", "endTime": "2031-01-01T09:00:00Z"},
            "endTime must be after startTime",
        ),
        ({"startTime": "2031-01-01T10:00:00Z", "calendarId": "nope"}, "Calendar not found"),
        ({"startTime": "2031-01-01T10:00:00Z", "contactId": "nope"}, "Contact not found"),
    ]
    for extra, message in cases:
        resp = cal("POST", "/calendars/events/appointments", {**base, **extra})
        assert resp.status_code == 400, (extra, resp.content)
        assert resp.json()["message"] == [message]
    assert not SandboxAppointment.objects.filter(contact=contact, title="").exists()


def test_create_in_another_location_is_forbidden(cal, seeded, calendar, contact, other_location):
    body = {
        "calendarId": calendar.id,
        "locationId": other_location.id,
        "contactId": contact.id,
        "startTime": "2031-01-01T10:00:00Z",
    }
    resp = cal("POST", "/calendars/events/appointments", body)
    assert resp.status_code == 403


def test_unknown_event_is_404(cal):
    for method, path, body in (
        ("GET", "/calendars/events/appointments/nope", None),
        ("PUT", "/calendars/events/appointments/nope", {"title": "x"}),
        ("DELETE", "/calendars/events/nope", {}),
    ):
        resp = cal(method, path, body)
        assert resp.status_code == 404, (method, path)
        assert resp.json()["message"] == "Event not found"
        assert resp.json()["statusCode"] == 404


def test_update_validation(cal, seeded, calendar, contact):
    eid = book(cal, seeded, calendar, contact)["id"]
    resp = cal("PUT", f"/calendars/events/appointments/{eid}", {"contactId": contact.id})
    assert resp.status_code == 400
    assert resp.json()["message"] == ["property contactId should not exist"]
    resp = cal("PUT", f"/calendars/events/appointments/{eid}", {"calendarId": "nope"})
    assert resp.status_code == 400 and resp.json()["message"] == ["Calendar not found"]


@pytest.mark.parametrize(
    ("method", "path", "needs"),
    [
        ("GET", "/calendars/", "calendars.readonly"),
        ("GET", "/calendars/events", "calendars/events.readonly"),
        ("GET", "/calendars/events/appointments/x", "calendars/events.readonly"),
        ("POST", "/calendars/events/appointments", "calendars/events.write"),
        ("PUT", "/calendars/events/appointments/x", "calendars/events.write"),
        ("DELETE", "/calendars/events/x", "calendars/events.write"),
    ],
)
def test_scopes_are_enforced(api, seeded, method, path, needs):
    everything = {
        "calendars.readonly",
        "calendars/events.readonly",
        "calendars/events.write",
        "contacts.readonly",
        "contacts.write",
    }
    lacking = mint_pit(seeded.id, " ".join(sorted(everything - {needs})))[0]
    resp = api(method, path, {} if method != "GET" else None, token=lacking, version=V)
    assert resp.status_code == 401
    assert resp.json()["message"] == "The token is not authorized for this scope."
    # A read scope does not grant writing.
    if needs == "calendars/events.write":
        readonly = mint_pit(seeded.id, "calendars/events.readonly")[0]
        assert api(method, path, {}, token=readonly, version=V).status_code == 401


def test_token_and_version_are_checked_first(cal, api, seeded):
    assert cal("GET", "/calendars/", token="", locationId=seeded.id).status_code == 401
    resp = cal("GET", "/calendars/", version=None, locationId=seeded.id)
    assert resp.status_code == 400
    assert resp.json()["message"] == "Version header is missing or invalid"


def test_rate_limit_headers_and_429(cal, seeded, settings):
    settings.SANDBOX_GHL_RATE_MAX = 2
    settings.SANDBOX_GHL_RATE_INTERVAL_MS = 10**12  # one window for the whole test
    first = cal("GET", "/calendars/", locationId=seeded.id)
    assert first.status_code == 200
    assert first["X-RateLimit-Max"] == "2"
    assert first["X-RateLimit-Remaining"] == "1"
    cal("GET", "/calendars/", locationId=seeded.id)
    third = cal("GET", "/calendars/", locationId=seeded.id)
    assert third.status_code == 429 and "Retry-After" in third


def test_unknown_method_is_ghl_404(cal):
    resp = cal("DELETE", "/calendars/")
    assert resp.status_code == 404
    assert resp.json()["message"].startswith("Cannot DELETE")
