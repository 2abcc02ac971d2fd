"""Tasks, notes and appointments of Your App (demo): the records that hang off a contact.

Each kind is declared as data (`KINDS`): its model, its fields and their types. The API and
the browse UI both write through `create`, `update` and `delete`, so both emit the same
`<kind>.created|updated|deleted` events. Call them inside ``webhooks.atomic()``.
Deleting a contact deletes its children without events of their own (like most apps).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any

from django.db import models
from django.utils.dateparse import parse_date, parse_datetime

from sandbox.models import (
    SandboxYourAppAppointment,
    SandboxYourAppContact,
    SandboxYourAppNote,
    SandboxYourAppTask,
    now_ms,
)

from . import services, webhooks
from .services import READ_ONLY, Invalid
from .webhooks import iso

APPOINTMENT_STATUSES = ("new", "confirmed", "cancelled", "showed", "noshow")


@dataclass(frozen=True)
class Field:
    name: str
    type: str  # "str" (one line, max_length), "text", "bool", "datetime", "choice"
    required: bool = False
    max_length: int = 0
    choices: tuple[str, ...] = ()
    default: Any = ""


@dataclass(frozen=True)
class Kind:
    name: str  # "task": event types task.created|updated|deleted
    plural: str  # "tasks": the API path
    model: type[models.Model]
    fields: tuple[Field, ...]

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)


KINDS: dict[str, Kind] = {
    kind.plural: kind
    for kind in (
        Kind(
            "task",
            "tasks",
            SandboxYourAppTask,
            (
                Field("title", "str", required=True, max_length=300),
                Field("due_date", "datetime", default=None),
                Field("completed", "bool", default=False),
                Field("notes", "text"),
            ),
        ),
        Kind("note", "notes", SandboxYourAppNote, (Field("body", "text", required=True),)),
        Kind(
            "appointment",
            "appointments",
            SandboxYourAppAppointment,
            (
                Field("title", "str", required=True, max_length=300),
                Field("start_time", "datetime", required=True, default=None),
                Field("end_time", "datetime", required=True, default=None),
                Field("notes", "text"),
                Field("status", "choice", choices=APPOINTMENT_STATUSES, default="confirmed"),
            ),
        ),
    )
}


def parse_when(value: Any) -> datetime | None:
    """An ISO 8601 datetime (naive = UTC) or date (midnight UTC); None if it is neither."""
    if not isinstance(value, str) or not value.strip():
        return None
    raw = value.strip()
    try:
        when = parse_datetime(raw)
        if when is None and (day := parse_date(raw)) is not None:
            when = datetime.combine(day, time())
    except ValueError:
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        return when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


def to_dict(kind: Kind, row: Any) -> dict:
    out: dict[str, Any] = {"id": row.id, "contact_id": row.contact_id}
    for f in kind.fields:
        value = getattr(row, f.name)
        out[f.name] = iso(value) if f.type == "datetime" and value is not None else value
    out["created_at"] = iso(row.created_at)
    out["updated_at"] = iso(row.updated_at)
    return out


def _clean_value(f: Field, value: Any) -> tuple[Any, str]:
    """(normalized value, problem or "")."""
    if f.type in ("str", "text"):
        if value is None:
            return "", ""
        if not isinstance(value, str):
            return None, "must be a string"
        value = value.strip() if f.type == "str" else value
        if f.max_length and len(value) > f.max_length:
            return None, f"at most {f.max_length} characters"
        return value, ""
    if f.type == "bool":
        if isinstance(value, bool):
            return value, ""
        return None, "must be true or false"
    if f.type == "datetime":
        if value is None or value == "":
            return None, ""
        when = parse_when(value)
        return (when, "") if when is not None else (None, "not an ISO 8601 date or datetime")
    if f.type == "choice":
        if value in f.choices:
            return value, ""
        return None, "must be one of " + ", ".join(f.choices)
    raise AssertionError(f.type)


def clean(kind: Kind, data: dict) -> dict:
    """The given writable fields, type-checked and normalized (or Invalid)."""
    problems: dict[str, str] = {}
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key in READ_ONLY:
            continue
        if key == "contact_id":
            if not isinstance(value, str) or not value.strip():
                problems[key] = "must be the id of a contact"
            elif not SandboxYourAppContact.objects.filter(pk=value.strip()).exists():
                problems[key] = f"no contact with id {value.strip()[:40]!r}"
            else:
                out[key] = value.strip()
            continue
        f = kind.field(key)
        if f is None:
            problems[key] = "unknown field"
            continue
        cleaned, problem = _clean_value(f, value)
        if problem:
            problems[key] = problem
        else:
            out[key] = cleaned
    if problems:
        raise Invalid(problems)
    return out


def defaults(kind: Kind) -> dict:
    return {f.name: f.default for f in kind.fields}


def _check_complete(kind: Kind, values: dict) -> None:
    problems = {}
    if not values.get("contact_id"):
        problems["contact_id"] = "required"
    for f in kind.fields:
        if f.required and values.get(f.name) in (None, ""):
            problems[f.name] = "required"
    start, end = values.get("start_time"), values.get("end_time")
    if start and end and end < start:
        problems["end_time"] = "must not be before start_time"
    if problems:
        raise Invalid(problems)


def create(kind: Kind, data: dict) -> Any:
    values = {**defaults(kind), **clean(kind, data)}
    _check_complete(kind, values)
    now = now_ms()
    row = kind.model(**values, created_at=now, updated_at=now)
    row.save(force_insert=True)
    webhooks.emit(f"{kind.name}.created", to_dict(kind, row))
    return row


def update(kind: Kind, row: Any, data: dict, *, replace: bool) -> Any:
    """PUT (replace=True: writable fields not given reset to defaults) or PATCH."""
    given = clean(kind, data)
    current = {"contact_id": row.contact_id, **{f.name: getattr(row, f.name) for f in kind.fields}}
    if replace:
        values = {**defaults(kind), "contact_id": row.contact_id, **given}
    else:
        values = {**current, **given}
    _check_complete(kind, values)
    for key, value in values.items():
        setattr(row, key, value)
    row.updated_at = max(now_ms(), row.updated_at)
    row.save()
    webhooks.emit(f"{kind.name}.updated", to_dict(kind, row))
    return row


def delete(kind: Kind, row: Any) -> None:
    data = to_dict(kind, row)
    row.delete()
    webhooks.emit(f"{kind.name}.deleted", data)


# --- tags: an operation on the contact ---------------------------------------------------


def change_tags(contact: SandboxYourAppContact, tags: Any, *, add: bool) -> SandboxYourAppContact:
    """Add or remove the given tags (a list of strings); emits contact.updated if any changed."""
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise Invalid({"tags": "must be a list of strings"})
    wanted = [t.strip() for t in tags if t.strip()]
    if not wanted:
        raise Invalid({"tags": "give at least one tag"})
    current = list(contact.tags or [])
    if add:
        new = current + [t for t in dict.fromkeys(wanted) if t not in current]
    else:
        gone = {t.lower() for t in wanted}
        new = [t for t in current if t.lower() not in gone]
    if new != current:
        contact.tags = new
        contact.updated_at = max(now_ms(), contact.updated_at)
        contact.save(update_fields=["tags", "updated_at"])
        webhooks.emit("contact.updated", services.to_dict(contact))
    return contact
