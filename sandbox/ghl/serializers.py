"""How the sandbox writes GHL objects: API shapes and webhook payload shapes."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils.dateparse import parse_datetime

from sandbox.models import (
    SandboxAppointment,
    SandboxCalendar,
    SandboxContact,
    SandboxNote,
    SandboxTask,
)

# --- Formatting -------------------------------------------------------------------------


def iso(dt: datetime | None) -> str | None:
    if dt is None:
        return None
    dt = dt.astimezone(UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def ms(dt: datetime) -> int:
    return int(dt.timestamp() * 1000)


def parse_when(value) -> datetime | None:
    """ISO 8601 string or epoch milliseconds -> aware datetime (None if unparsable)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value / 1000, tz=UTC)
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return datetime.fromtimestamp(int(text) / 1000, tz=UTC)
        dt = parse_datetime(text.replace("Z", "+00:00")) if text else None
        if dt is None:
            try:
                dt = datetime.fromisoformat(text[:10])
            except ValueError:
                return None
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=UTC)
        return dt
    return None


def _n(value):
    return value if value not in ("", None) else None


def contact_to_dict(c: SandboxContact) -> dict:
    full = " ".join(p for p in (c.first_name, c.last_name) if p)
    return {
        "id": c.id,
        "name": _n(c.name or full),
        "locationId": c.location_id,
        "firstName": _n(c.first_name),
        "lastName": _n(c.last_name),
        "email": _n(c.email),
        "emailLowerCase": _n(c.email.lower()),
        "timezone": _n(c.timezone),
        "companyName": _n(c.company_name),
        "phone": _n(c.phone),
        "dnd": c.dnd,
        "dndSettings": c.dnd_settings or {},
        "inboundDndSettings": c.inbound_dnd_settings or {},
        "type": c.type,
        "source": _n(c.source),
        "assignedTo": _n(c.assigned_to),
        "address1": _n(c.address1),
        "city": _n(c.city),
        "state": _n(c.state),
        "country": _n(c.country),
        "postalCode": _n(c.postal_code),
        "website": _n(c.website),
        "tags": list(c.tags or []),
        "dateOfBirth": _n(c.date_of_birth),
        "dateAdded": iso(c.date_added),
        "dateUpdated": iso(c.date_updated),
        # The spec's attachments is a string; unset here, so left out (GHL omits unset
        # fields). Webhooks carry it as a list (contact_event).
        "firstNameLowerCase": _n(c.first_name.lower()),
        "lastNameLowerCase": _n(c.last_name.lower()),
        "fullNameLowerCase": _n((c.name or full).lower()),
        "lastActivity": None,
        "customFields": [{"id": k, "value": v} for k, v in (c.custom_fields or {}).items()],
        "businessId": _n(c.business_id),
        # AttributionSource requires url: the page a form contact came from; "" for
        # contacts made through the API.
        "attributionSource": {"url": "", "medium": "api", "sessionSource": c.source or "API"},
    }


WEBHOOK_CONTACT_FIELDS = [
    "id",
    "address1",
    "city",
    "state",
    "companyName",
    "country",
    "source",
    "dateAdded",
    "dateOfBirth",
    "dnd",
    "email",
    "name",
    "firstName",
    "lastName",
    "phone",
    "postalCode",
    "tags",
    "website",
    "attachments",
    "assignedTo",
    "customFields",
]


def contact_event(c: SandboxContact) -> dict:
    full = {**contact_to_dict(c), "attachments": []}
    event = {k: full.get(k) for k in WEBHOOK_CONTACT_FIELDS}
    # Webhooks carry dateOfBirth as an ISO instant ("2000-01-05T00:00:00.000Z",
    # ContactTagUpdate.json), the API as the stored date.
    dob = parse_when(c.date_of_birth) if c.date_of_birth else None
    event["dateOfBirth"] = iso(dob) if dob else None
    return event


def task_to_dict(t: SandboxTask) -> dict:
    return {
        "id": t.id,
        "title": t.title,
        "body": t.body,
        "assignedTo": _n(t.assigned_to),
        "dueDate": iso(t.due_date),
        "completed": t.completed,
        "contactId": t.contact_id,
    }


def task_event(t: SandboxTask) -> dict:
    return {
        "id": t.id,
        "assignedTo": _n(t.assigned_to),
        "body": t.body,
        "contactId": t.contact_id,
        "title": t.title,
        "dateAdded": iso(t.date_added),
        "dueDate": iso(t.due_date),
    }


def note_to_dict(n: SandboxNote) -> dict:
    return {
        "id": n.id,
        "body": n.body,
        "userId": _n(n.user_id),
        "dateAdded": iso(n.date_added),
        "contactId": n.contact_id,
        "title": n.title,
        "color": n.color,
        "pinned": n.pinned,
    }


def note_event(n: SandboxNote) -> dict:
    return {"id": n.id, "body": n.body, "contactId": n.contact_id, "dateAdded": iso(n.date_added)}


def event_to_dict(a: SandboxAppointment) -> dict:
    fmt = "%Y-%m-%d %H:%M:%S"
    return {
        "id": a.id,
        "calendarId": a.calendar_id,
        "status": a.status,
        "title": a.title,
        "assignedUserId": _n(a.assigned_user_id),
        "notes": a.notes,
        "startTime": a.start_time.astimezone(UTC).strftime(fmt),
        "endTime": a.end_time.astimezone(UTC).strftime(fmt),
        "address": a.address,
        "locationId": a.location_id,
        "contactId": a.contact_id,
        "groupId": a.group_id,  # required by CalendarEventDTO: "" when none
        "appointmentStatus": a.appointment_status,
        "users": [a.assigned_user_id] if a.assigned_user_id else [],
        "dateAdded": a.date_added.astimezone(UTC).strftime(fmt),
        "dateUpdated": a.date_updated.astimezone(UTC).strftime(fmt),
        "assignedResources": [],
    }


# --- Calendars (calendars.json) ---------------------------------------------------------


def local_iso(dt: datetime, tz_name: str) -> str:
    """An instant in the location's time zone with its offset ("2023-09-25T16:00:00+05:30"),
    as calendar events and appointment webhooks carry them."""
    try:
        zone = ZoneInfo(tz_name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return dt.astimezone(zone).replace(microsecond=0).isoformat()


def calendar_to_dict(c: SandboxCalendar) -> dict:
    return {
        "id": c.id,
        "locationId": c.location_id,
        "groupId": _n(c.group_id),
        "name": c.name,
        "description": c.description,
        "slug": c.slug,
        "widgetSlug": c.slug,
        "calendarType": c.calendar_type,
        "widgetType": "classic",
        "eventTitle": "{{contact.name}}",
        "eventColor": c.event_color,
        "isActive": c.is_active,
        "teamMembers": [
            {"userId": u, "priority": 0.5, "meetingLocationType": "custom"}
            for u in c.team_members or []
        ],
        "slotDuration": c.slot_duration,
        "slotDurationUnit": "mins",
        "slotInterval": c.slot_duration,
        "slotIntervalUnit": "mins",
        "autoConfirm": True,
        "allowReschedule": True,
        "allowCancellation": True,
    }


def _appointment_common(a: SandboxAppointment) -> dict:
    tz = a.location.timezone
    return {
        "id": a.id,
        "address": a.address,
        "title": a.title,
        "calendarId": a.calendar_id,
        "contactId": a.contact_id,
        "groupId": a.group_id,  # required by CalendarEventDTO: "" when none
        "appointmentStatus": a.appointment_status,
        "assignedUserId": _n(a.assigned_user_id),
        "users": [a.assigned_user_id] if a.assigned_user_id else [],
        "notes": a.notes,
        "startTime": local_iso(a.start_time, tz),
        "endTime": local_iso(a.end_time, tz),
        "dateAdded": local_iso(a.date_added, tz),
        "dateUpdated": local_iso(a.date_updated, tz),
    }


def calendar_event_to_dict(a: SandboxAppointment) -> dict:
    """CalendarEventDTO: GET /calendars/events and /calendars/events/appointments/{id}."""
    return {
        **_appointment_common(a),
        "locationId": a.location_id,
        "description": a.description,
        "isRecurring": False,
        "assignedResources": [],
        "createdBy": {"source": a.source or "", "userId": None},  # source is required
    }


def appointment_to_dict(a: SandboxAppointment) -> dict:
    """AppointmentSchemaResponse: what create and update answer (no envelope)."""
    common = _appointment_common(a)
    return {
        "id": a.id,
        "calendarId": a.calendar_id,
        "locationId": a.location_id,
        "contactId": a.contact_id,
        "startTime": common["startTime"],
        "endTime": common["endTime"],
        "title": a.title,
        "meetingLocationType": a.meeting_location_type,
        "appointmentStatus": a.appointment_status,
        "assignedUserId": common["assignedUserId"],
        "address": a.address,
        "isRecurring": False,
        "dateAdded": common["dateAdded"],  # required by v3's AppointmentSchemaResponse
        "dateUpdated": common["dateUpdated"],
    }


APPOINTMENT_WEBHOOK_FIELDS = [
    "id",
    "address",
    "title",
    "calendarId",
    "contactId",
    "groupId",
    "appointmentStatus",
    "assignedUserId",
    "users",
    "notes",
    "source",
    "startTime",
    "endTime",
    "dateAdded",
    "dateUpdated",
]


def appointment_event(a: SandboxAppointment) -> dict:
    """The payload of Appointment{Create,Update,Delete}: the record under "appointment"."""
    record = {**_appointment_common(a), "source": a.source or None}
    return {"appointment": {k: record[k] for k in APPOINTMENT_WEBHOOK_FIELDS}}
