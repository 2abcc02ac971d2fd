"""Column → HighLevel field choices, and the mapping rules they make.

A choice per column is (target, transform): a HighLevel contact field (or a custom field
`customFields[id=…].field_value`), "note" (the value goes into a note on the contact, as
"Header: value"), or "" (skip). Transforms are the wizard's named ones (`sync/mapping`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from integrations.connectors.base import CsvObject
from integrations.csvio.parse import Column
from integrations.sync import mapping

NOTE = "note"
SKIP = ""
# HighLevel contact fields a CSV column may fill.
CONTACT_FIELDS: tuple[tuple[str, str], ...] = (
    ("firstName", "First name"),
    ("lastName", "Last name"),
    ("name", "Full name"),
    ("email", "Email"),
    ("phone", "Phone"),
    ("companyName", "Company"),
    ("address1", "Street address"),
    ("city", "City"),
    ("state", "State"),
    ("postalCode", "Postal code"),
    ("country", "Country"),
    ("website", "Website"),
    ("timezone", "Time zone"),
    ("source", "Source"),
    ("tags", "Tags (comma-separated)"),
    ("dateOfBirth", "Date of birth"),
)
# Transform choices: value → (label, the transform rules).
TRANSFORMS: dict[str, tuple[str, list[dict[str, Any]]]] = {
    "": ("as is (trimmed)", []),
    "lower": ("lower case", [{"name": "lower"}]),
    "title": ("Title Case", [{"name": "title"}]),
    "e164": ("phone → +E.164 (US default)", [{"name": "e164"}]),
    "first_word": ("first word (first name)", [{"name": "split_name", "part": "first"}]),
    "rest_words": ("after the first word (last name)", [{"name": "split_name", "part": "rest"}]),
    "date": ("date → YYYY-MM-DD", [{"name": "date_format", "format": "%Y-%m-%d"}]),
}


@dataclass(frozen=True)
class Choice:
    key: str
    target: str = SKIP
    transform: str = ""


def target_choices(custom_fields: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """(value, label) of every target a column may have, for a select."""
    choices = [(SKIP, "— skip this column —"), (NOTE, "Note on the contact")]
    choices += list(CONTACT_FIELDS)
    for field_id, name in sorted((custom_fields or {}).items(), key=lambda kv: kv[1].lower()):
        choices.append((custom_target(field_id), f"Custom field: {name}"))
    return choices


def custom_target(field_id: str) -> str:
    return f"customFields[id={field_id}].field_value"


def suggest(columns: list[Column], obj: CsvObject | None) -> list[Choice]:
    """A first choice per column: the app's known headers, then HighLevel's own names."""
    known = {header.lower(): target for header, target in (obj.columns if obj else ())}
    plain = {label.lower(): value for value, label in CONTACT_FIELDS}
    plain.update({value.lower(): value for value, _ in CONTACT_FIELDS})
    plain.update(
        {"e-mail": "email", "mobile": "phone", "phone number": "phone", "zip": "postalCode"}
    )
    used: set[str] = set()
    choices = []
    for column in columns:
        name = column.header.strip().lower()
        target = known.get(name) or plain.get(name) or SKIP
        if target in used and target != NOTE:
            target = SKIP
        used.add(target)
        transform = "e164" if target == "phone" else "lower" if target == "email" else ""
        choices.append(Choice(column.key, target, transform))
    return choices


def build(choices: list[Choice], columns: list[Column]) -> dict[str, Any]:
    """The batch's mapping ({"rules", "note_columns"}) from the choices; ValueError with a
    sentence when two columns fill one field or nothing identifies a contact."""
    headers = {c.key: c.header for c in columns}
    rules: list[dict[str, Any]] = []
    notes: list[str] = []
    seen: dict[str, str] = {}
    for choice in choices:
        if choice.key not in headers:
            raise ValueError(f"unknown column {choice.key!r}")
        if choice.target == SKIP:
            continue
        if choice.target == NOTE:
            notes.append(choice.key)
            continue
        if choice.target in seen:
            raise ValueError(
                f"“{headers[seen[choice.target]]}” and “{headers[choice.key]}” both fill "
                f"{choice.target}; choose one (or send one of them to the note)."
            )
        seen[choice.target] = choice.key
        transforms = [{"name": "trim"}, *TRANSFORMS.get(choice.transform, ("", []))[1]]
        if choice.target == "tags":
            transforms.append({"name": "split", "sep": ","})
        rules.append(
            {"target": choice.target, "source": f"trigger.{choice.key}", "transforms": transforms}
        )
    if not {"email", "phone"} & set(seen):
        raise ValueError(
            "Choose the column that holds the email (or the phone): HighLevel matches "
            "contacts by them, so an import without either would duplicate contacts."
        )
    problems = mapping.validate(rules)
    if problems:
        raise ValueError("; ".join(problems))
    return {"rules": rules, "note_columns": notes}
