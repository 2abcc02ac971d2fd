"""How the sandbox writes GHL objects: API shapes and webhook payload shapes."""

from __future__ import annotations

from datetime import UTC, datetime

from django.utils.dateparse import parse_datetime

from sandbox.models import SandboxAppointment, SandboxContact, SandboxNote, SandboxTask

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
        "attachments": [],
        "firstNameLowerCase": _n(c.first_name.lower()),
        "lastNameLowerCase": _n(c.last_name.lower()),
        "fullNameLowerCase": _n((c.name or full).lower()),
        "lastActivity": None,
        "customFields": [{"id": k, "value": v} for k, v in (c.custom_fields or {}).items()],
        "businessId": _n(c.business_id),
        "attributionSource": {"medium": "api", "sessionSource": c.source or "API"},
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
    full = contact_to_dict(c)
    return {k: full[k] for k in WEBHOOK_CONTACT_FIELDS}


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
        "groupId": _n(a.group_id),
        "appointmentStatus": a.status,
        "users": [a.assigned_user_id] if a.assigned_user_id else [],
        "dateAdded": a.date_added.astimezone(UTC).strftime(fmt),
        "dateUpdated": a.date_updated.astimezone(UTC).strftime(fmt),
        "assignedResources": [],
    }
