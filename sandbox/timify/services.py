"""What the TIMIFY simulator does with records: shapes, validation, writes, seed data.

Shapes follow the facts: customers carry `id`, `externalId`, `firstName`, `lastName`,
`fullName`, `email`, `totalBookings`, `createdAt`, `updatedAt`, `ts`, with every value held
in `customfields`; appointments are written with `YYYY-MM-DD HH:mm` times on 5-minute steps,
`title` unless a service and a duration are given, `service_id` XOR `external_service_id`,
`resource_ids` XOR `external_resource_ids`. The start field (`start_datetime`), `duration`,
`customer_id` and `notes` names are this simulator's choice where the facts give none.
The company's time zone is UTC here.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from . import webhooks
from .models import TimifyAppointment, TimifyCustomer, TimifyCustomField

DATETIME_FORMAT = "%Y-%m-%d %H:%M"
MAX_WINDOW_DAYS = 365
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# The company's services and resources (read-only here; the facts give no list paths).
SERVICES = {
    "svc_consult": {"name": "Consultation", "duration": 30, "externalId": "ext-consult"},
    "svc_followup": {"name": "Follow-up", "duration": 15, "externalId": "ext-followup"},
}
RESOURCES = {
    "res_anna": {"name": "Anna (therapist)", "externalId": "ext-anna"},
    "res_room1": {"name": "Room 1", "externalId": "ext-room1"},
}
DEFAULT_FIELDS = (
    ("firstName", "First name", "TEXT"),
    ("lastName", "Last name", "TEXT"),
    ("email", "Email", "EMAIL"),
    ("mobilePhone", "Mobile phone", "PHONE"),
    ("notes", "Notes", "TEXTAREA"),
)
EXTRA_FIELDS = (("Preferred contact time", "TEXT"), ("Customer number", "TEXT"))


class Invalid(Exception):
    """A 400 with TIMIFY-style body: {"status": 400, "code": ..., "message": ...}."""

    def __init__(self, message: str, code: str = "VALIDATION_ERROR", status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status


def iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


# --- fields and customers --------------------------------------------------------------
def ensure_seeded() -> None:
    if TimifyCustomField.objects.exists():
        return
    with transaction.atomic():
        seed()


def seed() -> None:
    """Fields, three customers and three appointments (no webhooks: nobody subscribed)."""
    for n, (default_id, label, type_) in enumerate(DEFAULT_FIELDS):
        TimifyCustomField.objects.update_or_create(
            id=f"cf{default_id.lower()[:20]}",
            defaults={"label": label, "type": type_, "default_id": default_id, "position": n},
        )
    for n, (label, type_) in enumerate(EXTRA_FIELDS, len(DEFAULT_FIELDS)):
        TimifyCustomField.objects.update_or_create(
            id=f"cfextra{n}", defaults={"label": label, "type": type_, "position": n}
        )
    people = [
        ("Mia", "Berger", "mia.berger@example.com", "+4915112345678", "mornings"),
        ("Jonas", "Keller", "jonas.keller@example.com", "+4915187654321", "evenings"),
        ("Lea", "Wolf", "lea.wolf@example.com", "", ""),
    ]
    ids = {d: f.id for f in TimifyCustomField.objects.all() for d in [f.default_id or f.label]}
    start = timezone.now().replace(hour=9, minute=0, second=0, microsecond=0) + timedelta(days=2)
    for n, (first, last, email, phone, when) in enumerate(people):
        values = {ids["firstName"]: first, ids["lastName"]: last, ids["email"]: email}
        if phone:
            values[ids["mobilePhone"]] = phone
        if when:
            values[ids["Preferred contact time"]] = when
        customer = TimifyCustomer.objects.create(id=f"c{n + 1:023d}", values=values)
        TimifyAppointment.objects.create(
            id=f"a{n + 1:023d}",
            title="Consultation",
            start=start + timedelta(days=n, hours=n),
            duration=30,
            service_id="svc_consult",
            resource_ids=["res_anna"],
            customer=customer,
            notes="First visit" if n == 0 else "",
        )


def fields() -> list[TimifyCustomField]:
    return list(TimifyCustomField.objects.all())


def field_json(field: TimifyCustomField) -> dict[str, Any]:
    return {
        "id": field.id,
        "label": field.label,
        "type": field.type,
        "defaultId": field.default_id or None,
        "isDefault": bool(field.default_id),
    }


def customer_json(customer: TimifyCustomer, known: list[TimifyCustomField] | None = None) -> dict:
    known = known if known is not None else fields()
    by_default = {f.default_id: customer.values.get(f.id) for f in known if f.default_id}
    first, last = by_default.get("firstName") or "", by_default.get("lastName") or ""
    return {
        "id": customer.id,
        "externalId": customer.external_id,
        "firstName": first,
        "lastName": last,
        "fullName": " ".join(p for p in (first, last) if p),
        "email": by_default.get("email") or "",
        "phone": by_default.get("mobilePhone") or "",
        "customfields": [
            {"id": f.id, "label": f.label, "value": customer.values[f.id]}
            for f in known
            if customer.values.get(f.id) not in (None, "")
        ],
        "totalBookings": customer.events.count(),
        "createdAt": iso(customer.created_at),
        "updatedAt": iso(customer.updated_at),
        "ts": int(customer.updated_at.timestamp() * 1000),
    }


def _values(body: dict[str, Any]) -> dict[str, Any]:
    entries = body.get("customfields")
    if entries is None:
        return {}
    if not isinstance(entries, list):
        raise Invalid("customfields must be a list of {id, value}")
    known = {f.id: f for f in fields()}
    values: dict[str, Any] = {}
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            raise Invalid("each customfields entry needs an id and a value")
        field = known.get(entry["id"])
        if field is None:
            raise Invalid(f"unknown custom field {entry['id']}", code="CUSTOM_FIELD_NOT_FOUND")
        value = entry.get("value")
        if value is not None and not isinstance(value, str | int | float | bool):
            raise Invalid(f"custom field {field.label}: the value must be text")
        value = "" if value is None else str(value).strip()
        if len(value) > 2000:
            raise Invalid(f"custom field {field.label}: at most 2000 characters")
        if field.type == "EMAIL" and value and not EMAIL.match(value):
            raise Invalid(f"custom field {field.label}: {value!r} is not an email address")
        values[field.id] = value
    return values


def _external(body: dict[str, Any]) -> str | None:
    value = body.get("externalId")
    if value is None:
        return None
    if not isinstance(value, str | int) or len(str(value)) > 200:
        raise Invalid("externalId must be a string of at most 200 characters")
    return str(value)


def create_customer(body: dict[str, Any]) -> TimifyCustomer:
    values = {k: v for k, v in _values(body).items() if v != ""}
    if not values:
        raise Invalid("a customer needs at least one custom field value")
    external = _external(body)
    if external and TimifyCustomer.objects.filter(external_id=external).exists():
        raise Invalid(f"a customer with externalId {external} exists", code="DUPLICATE", status=409)
    with webhooks.atomic():
        customer = TimifyCustomer.objects.create(values=values, external_id=external)
        webhooks.emit("customer.created", customer_json(customer))
    return customer


def update_customer(customer: TimifyCustomer, body: dict[str, Any]) -> TimifyCustomer:
    values = {**customer.values, **_values(body)}
    customer.values = {k: v for k, v in values.items() if v != ""}
    if "externalId" in body:
        customer.external_id = _external(body)
    with webhooks.atomic():
        customer.save()
        webhooks.emit("customer.updated", customer_json(customer))
    return customer


def delete_customer(customer: TimifyCustomer) -> None:
    data = customer_json(customer)
    with webhooks.atomic():
        customer.delete()
        webhooks.emit("customer.deleted", data)


# --- appointments ---------------------------------------------------------------------
def parse_datetime(value: Any, name: str) -> datetime:
    if not isinstance(value, str):
        raise Invalid(f"{name} is required, as YYYY-MM-DD HH:mm")
    try:
        parsed = datetime.strptime(value.strip(), DATETIME_FORMAT)
    except ValueError:
        raise Invalid(f"{name} must be YYYY-MM-DD HH:mm, not {value!r}") from None
    if parsed.minute % 5:
        raise Invalid(f"{name}: the minutes must be divisible by 5 (got {value})")
    return parsed.replace(tzinfo=UTC)


def parse_date(value: Any, name: str) -> datetime:
    if not isinstance(value, str) or not value.strip():
        raise Invalid(f"{name} is required (YYYY-MM-DD)")
    try:
        return datetime.strptime(value.strip()[:10], "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise Invalid(f"{name} must be YYYY-MM-DD, not {value!r}") from None


def window(from_date: Any, to_date: Any) -> tuple[datetime, datetime]:
    start, end = parse_date(from_date, "from_date"), parse_date(to_date, "to_date")
    if end < start:
        raise Invalid("to_date must not be before from_date")
    if (end - start).days > MAX_WINDOW_DAYS:
        raise Invalid(
            f"the interval between from_date and to_date is {(end - start).days} days; "
            f"at most {MAX_WINDOW_DAYS} days are allowed",
            code="DATE_RANGE_TOO_LONG",
        )
    return start, end + timedelta(days=1)


def appointment_json(appointment: TimifyAppointment) -> dict[str, Any]:
    end = appointment.start + timedelta(minutes=appointment.duration)
    service = SERVICES.get(appointment.service_id) or {}
    return {
        "id": appointment.id,
        "externalId": appointment.external_id or None,
        "title": appointment.title or service.get("name") or "",
        "startDate": appointment.start.strftime(DATETIME_FORMAT),
        "endDate": end.strftime(DATETIME_FORMAT),
        "duration": appointment.duration,
        "serviceId": appointment.service_id or None,
        "externalServiceId": appointment.external_service_id or None,
        "resourceIds": list(appointment.resource_ids or []),
        "externalResourceIds": list(appointment.external_resource_ids or []),
        "customerId": appointment.customer_id,
        "notes": appointment.notes,
        "createdAt": iso(appointment.created_at),
        "updatedAt": iso(appointment.updated_at),
    }


def _ids(body: dict[str, Any], name: str, known: dict[str, dict], by_external: bool) -> list[str]:
    value = body.get(name)
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise Invalid(f"{name} must be a non-empty list of ids")
    valid = {r["externalId"] for r in known.values()} if by_external else set(known)
    unknown = [v for v in value if v not in valid]
    if unknown:
        raise Invalid(f"{name}: unknown {', '.join(unknown)}", code="NOT_FOUND")
    return list(value)


def create_appointment(body: dict[str, Any]) -> TimifyAppointment:
    if body.get("service_id") and body.get("external_service_id"):
        raise Invalid("give service_id or external_service_id, not both")
    if body.get("resource_ids") and body.get("external_resource_ids"):
        raise Invalid("give resource_ids or external_resource_ids, not both")
    if not body.get("resource_ids") and not body.get("external_resource_ids"):
        raise Invalid("one of resource_ids or external_resource_ids is required")
    start = parse_datetime(body.get("start_datetime"), "start_datetime")
    service_id = str(body.get("service_id") or "")
    external_service = str(body.get("external_service_id") or "")
    if service_id and service_id not in SERVICES:
        raise Invalid(f"service_id: unknown service {service_id}", code="NOT_FOUND")
    if external_service and external_service not in {s["externalId"] for s in SERVICES.values()}:
        raise Invalid(f"external_service_id: unknown service {external_service}", code="NOT_FOUND")
    duration = body.get("duration")
    if duration is not None and (not isinstance(duration, int) or duration <= 0 or duration % 5):
        raise Invalid("duration must be a positive number of minutes divisible by 5")
    title = body.get("title")
    if not (isinstance(title, str) and title.strip()) and not (
        (service_id or external_service) and duration
    ):
        raise Invalid("title is required unless the service and the duration are given")
    customer = None
    if body.get("customer_id"):
        customer = TimifyCustomer.objects.filter(pk=str(body["customer_id"])).first()
        if customer is None:
            raise Invalid(f"customer_id: no customer {body['customer_id']}", code="NOT_FOUND")
    notes = body.get("notes") or ""
    if not isinstance(notes, str) or len(notes) > 5000:
        raise Invalid("notes must be text of at most 5000 characters")
    by_external = bool(body.get("external_resource_ids"))
    resources = _ids(
        body, "external_resource_ids" if by_external else "resource_ids", RESOURCES, by_external
    )
    with webhooks.atomic():
        appointment = TimifyAppointment.objects.create(
            title=(title or "").strip()[:300],
            start=start,
            duration=duration or 30,
            service_id=service_id,
            external_service_id=external_service,
            resource_ids=[] if by_external else resources,
            external_resource_ids=resources if by_external else [],
            customer=customer,
            notes=notes,
            external_id=str(body.get("external_id") or "")[:200],
        )
        webhooks.emit("event.created", appointment_json(appointment))
    return appointment


def update_appointment(appointment: TimifyAppointment, values: dict[str, Any]) -> None:
    """A change made in TIMIFY's own screens (the browse page): moved, retitled, notes."""
    for name, value in values.items():
        setattr(appointment, name, value)
    with webhooks.atomic():
        appointment.save()
        webhooks.emit("event.updated", appointment_json(appointment))


def delete_appointments(ids: list[str]) -> tuple[list[str], list[str]]:
    found = list(TimifyAppointment.objects.filter(pk__in=ids))
    found_ids = {a.id for a in found}
    with webhooks.atomic():
        for appointment in found:
            data = appointment_json(appointment)
            appointment.delete()
            webhooks.emit("event.deleted", data)
    deleted = [a_id for a_id in ids if a_id in found_ids]
    return deleted, [a_id for a_id in ids if a_id not in deleted]
