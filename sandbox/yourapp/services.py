"""Contacts of Your App (demo): validation, serialization and writes.

The API and the browse UI both write through here, so both emit the same events.
Call the write functions inside ``webhooks.atomic()``.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q

from sandbox.models import SandboxYourAppContact, now_ms

from . import webhooks
from .webhooks import iso

STRING_FIELDS = ("first_name", "last_name", "email", "phone", "company", "notes")
WRITABLE = ("external_id", *STRING_FIELDS, "tags", "custom")
READ_ONLY = ("id", "created_at", "updated_at")  # accepted in bodies and ignored
REQUIRED_ONE_OF = "one of email, phone, last_name is required"


class Invalid(Exception):
    def __init__(self, fields: dict[str, str]):
        super().__init__(fields)
        self.fields = fields


class Conflict(Exception):
    def __init__(self, existing_id: str):
        super().__init__(existing_id)
        self.existing_id = existing_id


def defaults() -> dict:
    return {
        "external_id": None,
        **dict.fromkeys(STRING_FIELDS, ""),
        "tags": [],
        "custom": {},
    }


def to_dict(contact: SandboxYourAppContact) -> dict:
    return {
        "id": contact.id,
        "external_id": contact.external_id,
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "email": contact.email,
        "phone": contact.phone,
        "company": contact.company,
        "tags": list(contact.tags or []),
        "notes": contact.notes,
        "custom": dict(contact.custom or {}),
        "created_at": iso(contact.created_at),
        "updated_at": iso(contact.updated_at),
    }


def clean(data: dict) -> dict:
    """Check the types of the given writable fields; return them normalized (or Invalid)."""
    problems: dict[str, str] = {}
    out: dict = {}
    for key, value in data.items():
        if key in READ_ONLY:
            continue
        if key not in WRITABLE:
            problems[key] = "unknown field"
        elif key == "external_id":
            if value is None or (isinstance(value, str) and value.strip() == ""):
                out[key] = None
            elif isinstance(value, str | int) and not isinstance(value, bool):
                out[key] = str(value).strip()[:200]
            else:
                problems[key] = "must be a string or null"
        elif key in STRING_FIELDS:
            if value is None:
                out[key] = ""
            elif isinstance(value, str):
                out[key] = value if key == "notes" else value.strip()
            else:
                problems[key] = "must be a string"
        elif key == "tags":
            if value is None:
                out[key] = []
            elif isinstance(value, list) and all(isinstance(t, str) for t in value):
                tags: list[str] = []
                for tag in value:
                    tag = tag.strip()
                    if tag and tag not in tags:
                        tags.append(tag)
                out[key] = tags
            else:
                problems[key] = "must be a list of strings"
        elif key == "custom":
            if value is None:
                out[key] = {}
            elif isinstance(value, dict):
                out[key] = value
            else:
                problems[key] = "must be an object"
    if out.get("email"):
        try:
            validate_email(out["email"])
        except ValidationError:
            problems["email"] = "not an email"
    limits = {"first_name": 200, "last_name": 200, "email": 254, "phone": 60, "company": 200}
    for key, limit in limits.items():
        if key not in problems and len(out.get(key) or "") > limit:
            problems[key] = f"at most {limit} characters"
    if problems:
        raise Invalid(problems)
    return out


def _check_complete(values: dict) -> None:
    if not (values.get("email") or values.get("phone") or values.get("last_name")):
        raise Invalid(dict.fromkeys(("email", "phone", "last_name"), REQUIRED_ONE_OF))


def _check_email_free(email: str, exclude_id: str | None = None) -> None:
    if not email:
        return
    qs = SandboxYourAppContact.objects.filter(email_lower=email.lower())
    if exclude_id:
        qs = qs.exclude(pk=exclude_id)
    existing = qs.values_list("pk", flat=True).first()
    if existing:
        raise Conflict(existing)


def _save(contact: SandboxYourAppContact, **kwargs) -> None:
    contact.email_lower = (contact.email or "").lower()
    try:
        with transaction.atomic():
            contact.save(**kwargs)
    except IntegrityError:  # a concurrent writer took the email
        existing = (
            SandboxYourAppContact.objects.filter(email_lower=contact.email_lower)
            .exclude(pk=contact.pk)
            .values_list("pk", flat=True)
            .first()
        )
        if existing:
            raise Conflict(existing) from None
        raise


def create(data: dict) -> SandboxYourAppContact:
    values = {**defaults(), **clean(data)}
    _check_complete(values)
    _check_email_free(values["email"])
    now = now_ms()
    contact = SandboxYourAppContact(**values, created_at=now, updated_at=now)
    _save(contact, force_insert=True)
    webhooks.emit("contact.created", to_dict(contact))
    return contact


def update(contact: SandboxYourAppContact, data: dict, *, replace: bool) -> SandboxYourAppContact:
    """PUT (replace=True: missing writable fields reset) or PATCH (replace=False)."""
    given = clean(data)
    current = {key: getattr(contact, key) for key in WRITABLE}
    values = {**defaults(), **given} if replace else {**current, **given}
    _check_complete(values)
    _check_email_free(values["email"], exclude_id=contact.pk)
    for key, value in values.items():
        setattr(contact, key, value)
    contact.updated_at = max(now_ms(), contact.updated_at)
    _save(contact)
    webhooks.emit("contact.updated", to_dict(contact))
    return contact


def delete(contact: SandboxYourAppContact) -> None:
    data = to_dict(contact)
    contact.delete()
    webhooks.emit("contact.deleted", data)


def search(q: str):
    qs = SandboxYourAppContact.objects.all()
    for word in q.split():
        qs = qs.filter(
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(email__icontains=word)
            | Q(phone__icontains=word)
            | Q(company__icontains=word)
            | Q(id__iexact=word)
            | Q(external_id__iexact=word)
        )
    return qs
