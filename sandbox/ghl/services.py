"""Domain logic shared by the API views and the browse UI (both emit the same webhooks)."""

from __future__ import annotations

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from sandbox.models import (
    SandboxAppointment,
    SandboxContact,
    SandboxCustomField,
    SandboxLocation,
    SandboxNote,
    SandboxTask,
    now_ms,
)

from . import webhooks
from .serializers import (  # noqa: F401  (re-exported for views)
    appointment_event,
    appointment_to_dict,
    calendar_event_to_dict,
    calendar_to_dict,
    contact_event,
    contact_to_dict,
    event_to_dict,
    iso,
    ms,
    note_event,
    note_to_dict,
    parse_when,
    task_event,
    task_to_dict,
)

# --- Contact validation -----------------------------------------------------------------

_COMMON = [
    "firstName",
    "lastName",
    "name",
    "email",
    "phone",
    "address1",
    "city",
    "state",
    "postalCode",
    "website",
    "timezone",
    "dnd",
    "dndSettings",
    "inboundDndSettings",
    "tags",
    "customFields",
    "source",
    "dateOfBirth",
    "country",
    "assignedTo",
]
CREATE_KEYS = {*_COMMON, "locationId", "gender", "companyName"}
# UpdateContactDto omits companyName and gender; the live API accepts them, so do we.
UPDATE_KEYS = {*_COMMON, "gender", "companyName"}
UPSERT_KEYS = {*CREATE_KEYS, "createNewIfDuplicateAllowed"}

_STRING_FIELDS = {
    "firstName": "first_name",
    "lastName": "last_name",
    "name": "name",
    "address1": "address1",
    "city": "city",
    "state": "state",
    "postalCode": "postal_code",
    "website": "website",
    "timezone": "timezone",
    "source": "source",
    "country": "country",
    "companyName": "company_name",
    "assignedTo": "assigned_to",
    "gender": "gender",
}


def normalize_phone(raw: str) -> str:
    text = raw.strip()
    if not text:
        return ""
    try:
        parsed = phonenumbers.parse(text, None if text.startswith("+") else "US")
        if phonenumbers.is_possible_number(parsed):
            return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    except phonenumbers.NumberParseException:
        pass
    return text


def validate_contact(data: dict, allowed: set[str]) -> tuple[dict, list[str]]:
    """Check a contact body like GHL's NestJS DTOs; return (clean values, messages)."""
    problems: list[str] = []
    clean: dict = {}
    for key in data:
        if key not in allowed:
            problems.append(f"property {key} should not exist")
    for key, attr in _STRING_FIELDS.items():
        if key in data and key in allowed:
            value = data[key]
            if value is None:
                clean[attr] = ""
            elif not isinstance(value, str):
                problems.append(f"{key} must be a string")
            else:
                clean[attr] = value.strip()
    if "email" in data:
        email = data["email"]
        if email in (None, ""):
            clean["email"] = ""
        elif not isinstance(email, str):
            problems.append("email must be an email")
        else:
            try:
                validate_email(email.strip())
                clean["email"] = email.strip()
            except ValidationError:
                problems.append("email must be an email")
    if "phone" in data:
        phone = data["phone"]
        if phone is None:
            clean["phone"] = ""
        elif not isinstance(phone, str):
            problems.append("phone must be a string")
        else:
            clean["phone"] = normalize_phone(phone)
    if "dnd" in data:
        if not isinstance(data["dnd"], bool):
            problems.append("dnd must be a boolean value")
        else:
            clean["dnd"] = data["dnd"]
    for key, attr in (
        ("dndSettings", "dnd_settings"),
        ("inboundDndSettings", "inbound_dnd_settings"),
    ):
        if key in data:
            if not isinstance(data[key], dict):
                problems.append(f"{key} must be an object")
            else:
                clean[attr] = data[key]
    if "tags" in data:
        tags = data["tags"]
        if not isinstance(tags, list):
            problems.append("tags must be an array")
        elif not all(isinstance(t, str) for t in tags):
            problems.append("each value in tags must be a string")
        else:
            clean["tags"] = tags
    if "customFields" in data:
        if not isinstance(data["customFields"], list) or not all(
            isinstance(x, dict) for x in data["customFields"]
        ):
            problems.append("customFields must be an array")
        else:
            clean["customFields"] = data["customFields"]
    if "dateOfBirth" in data and data["dateOfBirth"] not in (None, ""):
        dob = parse_when(data["dateOfBirth"])
        if dob is None:
            problems.append("dateOfBirth must be a valid date")
        else:
            clean["date_of_birth"] = dob.strftime("%Y-%m-%d")
    return clean, problems


def _apply(contact: SandboxContact, clean: dict) -> bool:
    """Apply clean values; return True if the tags changed."""
    old_tags = list(contact.tags or [])
    for attr, value in clean.items():
        if attr in ("tags", "customFields"):
            continue
        setattr(contact, attr, value)
    if "tags" in clean:
        contact.set_tags(clean["tags"])
    if "customFields" in clean:
        fields = dict(contact.custom_fields or {})
        defs = SandboxCustomField.objects.filter(location_id=contact.location_id)
        by_id = {d.id: d for d in defs}
        by_key = {}
        for d in defs:
            by_key[d.field_key] = d
            by_key[d.field_key.removeprefix("contact.")] = d
        for item in clean["customFields"]:
            target = by_id.get(item.get("id")) or by_key.get(item.get("key") or "")
            if target is None:
                continue  # GHL ignores unknown custom fields
            value = item.get("field_value", item.get("value"))
            if value in (None, "", []):
                fields.pop(target.id, None)
            else:
                fields[target.id] = value
        contact.custom_fields = fields
    if "first_name" in clean or "last_name" in clean:
        if "name" not in clean:
            contact.name = " ".join(p for p in (contact.first_name, contact.last_name) if p)
    elif "name" in clean and clean["name"] and not contact.first_name and not contact.last_name:
        first, _, last = clean["name"].partition(" ")
        contact.first_name, contact.last_name = first, last
    return old_tags != list(contact.tags or [])


def find_duplicate(location: SandboxLocation, email: str, phone: str, exclude_id=None):
    """Match by email first, then phone (the location's duplicate-check order)."""
    qs = SandboxContact.objects.filter(location=location)
    if exclude_id:
        qs = qs.exclude(pk=exclude_id)
    if email:
        hit = qs.filter(email__iexact=email).order_by("date_added").first()
        if hit:
            return hit, "email"
    if phone:
        hit = qs.filter(phone=normalize_phone(phone)).order_by("date_added").first()
        if hit:
            return hit, "phone"
    return None, None


# --- Mutations (all emit webhooks) ------------------------------------------------------


def create_contact(location: SandboxLocation, clean: dict) -> SandboxContact:
    contact = SandboxContact(location=location, source=clean.pop("source", "") or "public api")
    _apply(contact, clean)
    contact.date_added = contact.date_updated = now_ms()
    contact.save()
    webhooks.emit("ContactCreate", contact_event(contact), location.id)
    return contact


def update_contact(contact: SandboxContact, clean: dict) -> SandboxContact:
    dnd_before = (contact.dnd, dict(contact.dnd_settings or {}))
    tags_changed = _apply(contact, clean)
    contact.date_updated = now_ms()
    contact.save()
    non_tag = {k for k in clean if k != "tags"}
    if non_tag or not tags_changed:
        webhooks.emit("ContactUpdate", contact_event(contact), contact.location_id)
    if tags_changed:
        webhooks.emit("ContactTagUpdate", contact_event(contact), contact.location_id)
    if (contact.dnd, dict(contact.dnd_settings or {})) != dnd_before:
        # ContactDndUpdate.json: the contact event plus its dndSettings.
        event = {**contact_event(contact), "dndSettings": contact.dnd_settings or {}}
        webhooks.emit("ContactDndUpdate", event, contact.location_id)
    return contact


def change_tags(contact: SandboxContact, add=(), remove=(), remove_all=False) -> bool:
    old = list(contact.tags or [])
    tags = [] if remove_all else list(old)
    removing = {t.strip().lower() for t in remove}
    tags = [t for t in tags if t not in removing] + list(add)
    contact.set_tags(tags)
    if contact.tags == old:
        return False
    contact.date_updated = now_ms()
    contact.save(update_fields=["tags", "tags_text", "date_updated"])
    webhooks.emit("ContactTagUpdate", contact_event(contact), contact.location_id)
    return True


def touch(contact: SandboxContact) -> None:
    contact.date_updated = now_ms()
    contact.save(update_fields=["date_updated"])


def delete_contact(contact: SandboxContact) -> None:
    payload = contact_event(contact)
    location_id = contact.location_id
    contact.delete()
    webhooks.emit("ContactDelete", payload, location_id)


def create_task(contact: SandboxContact, **fields) -> SandboxTask:
    task = SandboxTask.objects.create(contact=contact, **fields)
    webhooks.emit("TaskCreate", task_event(task), contact.location_id)
    return task


def update_task(task: SandboxTask, **fields) -> SandboxTask:
    was_completed = task.completed
    for key, value in fields.items():
        setattr(task, key, value)
    task.date_updated = now_ms()
    task.save()
    if task.completed and not was_completed:
        webhooks.emit("TaskComplete", task_event(task), task.contact.location_id)
    return task


def delete_task(task: SandboxTask) -> None:
    payload = task_event(task)
    location_id = task.contact.location_id
    task.delete()
    webhooks.emit("TaskDelete", payload, location_id)


def create_note(contact: SandboxContact, **fields) -> SandboxNote:
    note = SandboxNote.objects.create(contact=contact, **fields)
    webhooks.emit("NoteCreate", note_event(note), contact.location_id)
    return note


def update_note(note: SandboxNote, **fields) -> SandboxNote:
    for key, value in fields.items():
        setattr(note, key, value)
    note.date_updated = now_ms()
    note.save()
    webhooks.emit("NoteUpdate", note_event(note), note.contact.location_id)
    return note


def delete_note(note: SandboxNote) -> None:
    payload = note_event(note)
    location_id = note.contact.location_id
    note.delete()
    webhooks.emit("NoteDelete", payload, location_id)


def create_appointment(contact: SandboxContact, **fields) -> SandboxAppointment:
    appointment = SandboxAppointment.objects.create(
        location_id=contact.location_id, contact=contact, **fields
    )
    webhooks.emit("AppointmentCreate", appointment_event(appointment), contact.location_id)
    return appointment


def update_appointment(appointment: SandboxAppointment, **fields) -> SandboxAppointment:
    for key, value in fields.items():
        setattr(appointment, key, value)
    appointment.date_updated = now_ms()
    appointment.save()
    webhooks.emit("AppointmentUpdate", appointment_event(appointment), appointment.location_id)
    return appointment


def delete_appointment(appointment: SandboxAppointment) -> None:
    payload = appointment_event(appointment)
    location_id = appointment.location_id
    appointment.delete()
    webhooks.emit("AppointmentDelete", payload, location_id)
