"""Calendars and calendar events (appointments), as calendars.json describes them.

- GET /calendars/ (calendars.readonly) → {calendars: [CalendarDTO]}
- GET /calendars/events (calendars/events.readonly) → {events: [CalendarEventDTO]}
- POST /calendars/events/appointments (calendars/events.write) → AppointmentSchemaResponse
- GET|PUT /calendars/events/appointments/{eventId} → {event} | AppointmentSchemaResponse
- DELETE /calendars/events/{eventId} (calendars/events.write) → 201 {succeeded: true}

The calendars spec declares only 400 for bad input (no 422, unlike contacts), so
validation failures answer NestJS's default `{statusCode: 400, message: [...], error:
"Bad Request"}`. It declares no 404 either; an unknown event id answers 404 "Event not
found" like the contacts service's unknown ids, so a client can tell "already gone" apart.
Not simulated: free-slot and date-range validation, recurring events (rrule), meeting
location configurations, groups and resources.
"""

from __future__ import annotations

from datetime import timedelta

from sandbox.models import SandboxAppointment, SandboxCalendar, SandboxContact

from . import errors, services
from .api import endpoint, json_body, ok
from .auth import Principal, check_location
from .errors import GHLError

CALENDARS_READ = "calendars.readonly"
EVENTS_READ = "calendars/events.readonly"
EVENTS_WRITE = "calendars/events.write"

APPOINTMENT_STATUSES = ("new", "confirmed", "cancelled", "showed", "noshow", "invalid")
MEETING_LOCATION_TYPES = ("custom", "zoom", "gmeet", "phone", "address", "ms_teams", "google")
_STRINGS = {
    "title": "title",
    "meetingLocationType": "meeting_location_type",
    "meetingLocationId": None,
    "appointmentStatus": "appointment_status",
    "assignedUserId": "assigned_user_id",
    "description": "description",
    "address": "address",
    "rrule": None,
    "calendarId": "calendar_id",
    "startTime": None,
    "endTime": None,
}
_BOOLEANS = ("overrideLocationConfig", "ignoreDateRange", "toNotify", "ignoreFreeSlotValidation")
EDIT_KEYS = {*_STRINGS, *_BOOLEANS}
CREATE_KEYS = {*EDIT_KEYS, "locationId", "contactId"}
CREATE_REQUIRED = ("calendarId", "locationId", "contactId", "startTime")


def bad_request(messages: list[str] | str) -> GHLError:
    if isinstance(messages, str):
        messages = [messages]
    return GHLError(errors.error(400, list(messages), "Bad Request"))


def _validate(data: dict, allowed: set[str], required: tuple[str, ...]) -> dict:
    """Check a body like the NestJS DTO would; return model values plus "start"/"end"."""
    problems = [f"property {k} should not exist" for k in data if k not in allowed]
    for key in required:
        if data.get(key) in (None, ""):
            problems.append(f"{key} should not be empty")
    clean: dict = {}
    for key in allowed & set(_STRINGS) | ({"locationId", "contactId"} & allowed):
        if key not in data or data[key] is None:
            continue
        if not isinstance(data[key], str):
            problems.append(f"{key} must be a string")
        elif _STRINGS.get(key):
            clean[_STRINGS[key]] = data[key].strip()
    for key in _BOOLEANS:
        if key in data and data[key] is not None and not isinstance(data[key], bool):
            problems.append(f"{key} must be a boolean value")
    status = data.get("appointmentStatus")
    if isinstance(status, str) and status not in APPOINTMENT_STATUSES:
        problems.append(
            "appointmentStatus must be one of the following values: "
            + ", ".join(APPOINTMENT_STATUSES)
        )
    kind = data.get("meetingLocationType")
    if isinstance(kind, str) and kind not in MEETING_LOCATION_TYPES:
        problems.append(
            "meetingLocationType must be one of the following values: "
            + ", ".join(MEETING_LOCATION_TYPES)
        )
    for key, attr in (("startTime", "start"), ("endTime", "end")):
        value = data.get(key)
        if isinstance(value, str) and value:
            when = services.parse_when(value)
            if when is None:
                problems.append(f"{key} must be a valid ISO 8601 date string")
            else:
                clean[attr] = when
    if isinstance(data.get("rrule"), str) and data["rrule"]:
        problems.append("rrule: recurring appointments are not supported by the sandbox")
    if problems:
        raise bad_request(problems)
    if "address" in clean and "meeting_location_type" not in clean:
        clean["meeting_location_type"] = "custom"  # the spec: address implies custom
    return clean


def _calendar(principal: Principal, calendar_id: str) -> SandboxCalendar:
    calendar = SandboxCalendar.objects.filter(
        pk=calendar_id, location_id=principal.location_id
    ).first()
    if calendar is None:
        raise bad_request("Calendar not found")
    return calendar


def _appointment(principal: Principal, event_id: str, lock: bool = False) -> SandboxAppointment:
    qs = SandboxAppointment.objects.select_related("location")
    if lock:
        qs = qs.select_for_update()
    appointment = qs.filter(pk=event_id).first()
    if appointment is None:
        raise GHLError(errors.not_found("Event not found"))
    check_location(principal, appointment.location_id)
    return appointment


def _times(clean: dict, calendar: SandboxCalendar, start, end):
    start = clean.pop("start", start)
    end = clean.pop("end", end)
    if end is None:
        end = start + timedelta(minutes=calendar.slot_duration)
    if end <= start:
        raise bad_request("endTime must be after startTime")
    clean["start_time"], clean["end_time"] = start, end


# --- GET /calendars/ ----------------------------------------------------------------------


def list_calendars(request, principal):
    location_id = request.GET.get("locationId")
    if not location_id:
        raise bad_request("locationId should not be empty")
    check_location(principal, location_id)
    qs = SandboxCalendar.objects.filter(location_id=location_id)
    if request.GET.get("groupId"):
        qs = qs.filter(group_id=request.GET["groupId"])
    show_drafted = (request.GET.get("showDrafted") or "true").lower()
    if show_drafted not in ("true", "false"):
        raise bad_request("showDrafted must be a boolean value")
    if show_drafted == "false":
        qs = qs.filter(is_active=True)
    return ok({"calendars": [services.calendar_to_dict(c) for c in qs.order_by("name", "id")]})


calendars_root = endpoint({"GET": (CALENDARS_READ, list_calendars)})


# --- GET /calendars/events ----------------------------------------------------------------


def _millis(params, key: str, problems: list[str]):
    value = (params.get(key) or "").strip()
    if not value:
        problems.append(f"{key} should not be empty")
        return None
    if not value.isdigit():
        problems.append(f"{key} must be a number string (milliseconds)")
        return None
    return services.parse_when(int(value))


def list_events(request, principal):
    params = request.GET
    problems: list[str] = []
    if not params.get("locationId"):
        problems.append("locationId should not be empty")
    start = _millis(params, "startTime", problems)
    end = _millis(params, "endTime", problems)
    if not any(params.get(k) for k in ("userId", "calendarId", "groupId")):
        problems.append("Either of userId, groupId or calendarId is required")
    if problems:
        raise bad_request(problems)
    check_location(principal, params["locationId"])
    qs = SandboxAppointment.objects.select_related("location").filter(
        location_id=params["locationId"], start_time__lt=end, end_time__gt=start
    )
    if params.get("calendarId"):
        qs = qs.filter(calendar_id=params["calendarId"])
    if params.get("userId"):
        qs = qs.filter(assigned_user_id=params["userId"])
    if params.get("groupId"):
        in_group = SandboxCalendar.objects.filter(group_id=params["groupId"]).values("pk")
        qs = qs.filter(calendar_id__in=in_group)
    events = [services.calendar_event_to_dict(a) for a in qs.order_by("start_time", "id")]
    return ok({"events": events})


events_root = endpoint({"GET": (EVENTS_READ, list_events)})


# --- POST /calendars/events/appointments --------------------------------------------------


def create_appointment(request, principal):
    data = json_body(request)
    clean = _validate(data, CREATE_KEYS, CREATE_REQUIRED)
    check_location(principal, data["locationId"])
    contact = SandboxContact.objects.filter(
        pk=data["contactId"], location_id=principal.location_id
    ).first()
    if contact is None:
        raise bad_request("Contact not found")
    calendar = _calendar(principal, clean["calendar_id"])
    _times(clean, calendar, None, None)
    clean.setdefault("title", contact.name or "Appointment")
    if not clean.get("assigned_user_id") and calendar.team_members:
        clean["assigned_user_id"] = calendar.team_members[0]
    clean["group_id"] = calendar.group_id
    clean["source"] = "public api"
    appointment = services.create_appointment(contact, **clean)
    # The spec declares 200 (not 201) for this POST.
    return ok(services.appointment_to_dict(appointment))


appointments_root = endpoint({"POST": (EVENTS_WRITE, create_appointment)})


# --- GET|PUT /calendars/events/appointments/{eventId} -------------------------------------


def get_appointment(request, principal, eventId):
    appointment = _appointment(principal, eventId)
    return ok({"event": services.calendar_event_to_dict(appointment)})


def edit_appointment(request, principal, eventId):
    clean = _validate(json_body(request), EDIT_KEYS, ())
    appointment = _appointment(principal, eventId, lock=True)
    calendar_id = clean.get("calendar_id", appointment.calendar_id)
    calendar = SandboxCalendar.objects.filter(
        pk=calendar_id, location_id=principal.location_id
    ).first()
    if "calendar_id" in clean and calendar is None:
        raise bad_request("Calendar not found")
    if calendar is None:  # a seeded appointment without a calendar row
        calendar = SandboxCalendar(slot_duration=30)
    if calendar.pk:
        clean["group_id"] = calendar.group_id
    if "start" in clean or "end" in clean:
        keep = appointment.end_time - appointment.start_time
        start = clean.get("start", appointment.start_time)
        end = clean.get("end", start + keep if "start" in clean else appointment.end_time)
        clean["start"], clean["end"] = start, end
        _times(clean, calendar, appointment.start_time, appointment.end_time)
    services.update_appointment(appointment, **clean)
    return ok(services.appointment_to_dict(appointment))


appointment_detail = endpoint(
    {"GET": (EVENTS_READ, get_appointment), "PUT": (EVENTS_WRITE, edit_appointment)}
)


# --- DELETE /calendars/events/{eventId} ---------------------------------------------------


def delete_event(request, principal, eventId):
    json_body(request)  # DeleteAppointmentSchema is an empty object; bad JSON is a 400
    services.delete_appointment(_appointment(principal, eventId, lock=True))
    # The spec declares 201 and spells it "succeeded" (contacts say "succeded").
    return ok({"succeeded": True}, status=201)


event_detail = endpoint({"DELETE": (EVENTS_WRITE, delete_event)})
