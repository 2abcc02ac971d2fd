"""Wizard templates for HighLevel (side "a") ↔ Time To Pet (side "b").

Time To Pet has no API (FACTS §1), so every flow goes one way, into HighLevel:

- visits read from its calendar feed (a polling trigger: each occurrence a record, id
  UID + recurrence id) become HighLevel appointments — or tasks, the operator picks the
  template — on the client's contact. The contact is found by the email the visit carries
  (exact match), else by its client name (HighLevel's contact search); a visit whose client
  is not in HighLevel fails with "no HighLevel contact matches …", so it is listed with the
  failures and can be retried once the client is added (or imported from the client CSV);
- new clients posted to the inbound URL (or imported from a CSV on the connection's CSV
  page) become contacts; notes posted there become notes on the client's contact.

What the business posts to the inbound URL, with the X-Webhook-Secret header:
    {"type": "client.created", "id": "evt_1", "data": {"id": "C00012", "first_name": "…",
     "last_name": "…", "email": "…", "phone": "…", "pets": "Rex (Dog)"}}
    {"type": "note.created", "id": "evt_2", "data": {"id": "N1", "client_email": "…",
     "client_name": "…", "body": "…"}}
"""

from __future__ import annotations

import copy
from typing import Any

from integrations.models import Connection
from integrations.wizard.templates import Template

KIND = "timetopet"
NO_MATCH = (
    "no HighLevel contact matches {trigger.match} (visit “{trigger.title}” at {trigger.start}); "
    "add the client to HighLevel or import the client CSV, then retry this run"
)
NO_MATCH_NOTE = (
    "no HighLevel contact matches {trigger.match} (a note posted from Time To Pet); add the "
    "client to HighLevel or import the client CSV, then retry this run"
)
NO_CLIENT = "no HighLevel contact can be matched: the record names no client (email or name)"
# The two lookups leave their answer at these paths; the first that has one is used.
CONTACT_FOUND = ["steps.by_email.contact.id", "steps.by_name.contacts.0.id"]

VISIT_TO_APPOINTMENT: list[dict[str, Any]] = [
    {"target": "title", "source": "trigger.title", "default": "Visit"},
    {"target": "startTime", "source": "trigger.start", "required": True},
    {"target": "endTime", "source": "trigger.end"},
    {
        "target": "appointmentStatus",
        "source": "trigger.status",
        "transforms": [
            {
                "name": "value_map",
                "map": {"confirmed": "confirmed", "tentative": "new", "cancelled": "cancelled"},
                "fallback": "confirmed",
            }
        ],
    },
    {"target": "description", "source": "trigger.summary"},
    # A visit is already booked in Time To Pet: HighLevel must not refuse it for its slots.
    {"target": "ignoreFreeSlotValidation", "const": True},
    {
        "target": "contactId",
        "sources": list(CONTACT_FOUND),
        "transforms": [{"name": "first"}],
        "required": True,
        "only_on": "create",
        "message": NO_MATCH,
    },
]
VISIT_TO_TASK: list[dict[str, Any]] = [
    {"target": "title", "source": "trigger.title", "default": "Visit"},
    {"target": "body", "source": "trigger.summary"},
    {"target": "dueDate", "source": "trigger.start", "required": True},
    # A cancelled visit is a task that needs nothing more: it is closed.
    {"target": "completed", "source": "trigger.cancelled", "default": False},
]
CLIENT_TO_CONTACT: list[dict[str, Any]] = [
    {
        "target": "email",
        "source": "trigger.email",
        "transforms": [{"name": "trim"}, {"name": "lower"}],
    },
    {"target": "firstName", "source": "trigger.first_name"},
    {"target": "lastName", "source": "trigger.last_name"},
    {"target": "phone", "source": "trigger.phone", "transforms": [{"name": "e164"}]},
    {"target": "address1", "source": "trigger.address"},
    {"target": "city", "source": "trigger.city"},
    {"target": "state", "source": "trigger.state"},
    {"target": "postalCode", "source": "trigger.zip"},
    {"target": "source", "const": "Time To Pet", "only_on": "create"},
]
NOTE_TO_GHL: list[dict[str, Any]] = [
    {"target": "body", "source": "trigger.body", "required": True},
]


def lookup_steps(
    email_path: str = "trigger.client_email", name_path: str = "trigger.client_name"
) -> list[dict[str, Any]]:
    """Find the client's HighLevel contact: by exact email, else by name (search)."""
    return [
        {
            "key": "by_email",
            "operation": "get-duplicate-contact",
            "record_mode": "",
            "mapping": [],
            "params": {
                "email": {"source": email_path},
                "_when": {"source": "trigger.match_by", "equals": "email"},
            },
        },
        {
            "key": "by_name",
            "operation": "search-contacts-advanced",
            "record_mode": "",
            "mapping": [
                {"target": "query", "source": name_path, "required": True, "message": NO_CLIENT},
                {"target": "pageLimit", "const": 1},
            ],
            "params": {"_when": {"source": "trigger.match_by", "equals": "name"}},
        },
    ]


def _poll_config(b: Connection) -> dict[str, Any]:
    minutes = int((b.config or {}).get("interval_minutes") or 15)
    return {"operation": "visits.feed", "interval_minutes": minutes}


def visits_to_appointments(
    a: Connection, b: Connection, calendar_id: str = ""
) -> list[dict[str, Any]]:
    """New, moved and cancelled visits → HighLevel appointments (choose the calendar in the
    map step: the push step's calendarId)."""
    mapping = copy.deepcopy(VISIT_TO_APPOINTMENT)
    mapping += [
        {"target": "calendarId", "const": calendar_id, "required": True, "only_on": "create"},
        {"target": "locationId", "const": a.account_id, "only_on": "create"},
    ]
    push = {
        "key": "push",
        "operation": "create-appointment",
        "update_operation": "edit-appointment",
        "record_mode": "sync",
        "source_id_path": "trigger.id",
        "result_id_path": "id",
        "target_id_param": "eventId",
        "mapping": mapping,
        "params": {},
    }
    return [
        {
            "name": f"{b} visits → HighLevel appointments",
            "from": "b",
            "trigger_kind": "poll",
            "trigger_config": _poll_config(b),
            "object_type": "appointment",
            "steps": [*lookup_steps(), push],
        }
    ]


def visits_to_tasks(a: Connection, b: Connection) -> list[dict[str, Any]]:
    push = {
        "key": "push",
        "operation": "create-task",
        "update_operation": "update-task",
        "record_mode": "sync",
        "source_id_path": "trigger.id",
        "result_id_path": "task.id",
        "target_id_param": "taskId",
        "mapping": copy.deepcopy(VISIT_TO_TASK),
        "params": {"contactId": {"sources": list(CONTACT_FOUND), "message": NO_MATCH}},
    }
    return [
        {
            "name": f"{b} visits → HighLevel tasks",
            "from": "b",
            "trigger_kind": "poll",
            "trigger_config": _poll_config(b),
            "object_type": "task",
            "steps": [*lookup_steps(), push],
        }
    ]


def clients_to_contacts(a: Connection, b: Connection) -> list[dict[str, Any]]:
    upsert = {
        "key": "upsert",
        "operation": "upsert-contact",
        "update_operation": "update-contact",
        "record_mode": "sync",
        "source_id_path": "trigger.id",
        "result_id_path": "contact.id",
        "target_id_param": "contactId",
        "mapping": copy.deepcopy(CLIENT_TO_CONTACT),
        "params": {},
    }
    return [
        {
            "name": f"New {b} client → HighLevel contact",
            "from": "b",
            "trigger_kind": "webhook",
            "trigger_config": {"events": ["client.created", "client.updated"]},
            "object_type": "contact",
            "steps": [upsert],
        }
    ]


def notes_to_ghl(a: Connection, b: Connection) -> list[dict[str, Any]]:
    push = {
        "key": "push",
        "operation": "create-note",
        "update_operation": "update-note",
        "record_mode": "sync",
        "source_id_path": "trigger.id",
        "result_id_path": "note.id",
        "target_id_param": "id",
        "mapping": copy.deepcopy(NOTE_TO_GHL),
        "params": {"contactId": {"sources": list(CONTACT_FOUND), "message": NO_MATCH_NOTE}},
    }
    return [
        {
            "name": f"Notes posted from {b} → HighLevel notes",
            "from": "b",
            "trigger_kind": "webhook",
            "trigger_config": {"events": ["note.created"]},
            "object_type": "note",
            "steps": [*lookup_steps(), push],
        }
    ]


TEMPLATES: dict[str, Template] = {
    t.id: t
    for t in [
        Template(
            "ttp_visits_to_appointments",
            "Time To Pet visits → HighLevel appointments",
            "Reads the calendar feed every few minutes (an unchanged feed costs one 304): new, "
            "moved and cancelled visits become appointments on the client's contact, found by "
            "email or name; a visit whose client is not in HighLevel is listed as a failed run.",
            "ghl",
            KIND,
            visits_to_appointments,
        ),
        Template(
            "ttp_visits_to_tasks",
            "Time To Pet visits → HighLevel tasks",
            "The same visits as tasks on the client's contact (due at the visit's start; a "
            "cancelled visit closes its task), for accounts that do not use HighLevel calendars.",
            "ghl",
            KIND,
            visits_to_tasks,
        ),
        Template(
            "ttp_clients_to_contacts",
            "New Time To Pet client → HighLevel contact",
            "A client posted to the inbound URL (X-Webhook-Secret) is upserted as a contact "
            "by email. For existing clients, upload Time To Pet's client CSV on the "
            "connection's CSV page instead: there is no API to read them.",
            "ghl",
            KIND,
            clients_to_contacts,
        ),
        Template(
            "ttp_notes_to_ghl",
            "Time To Pet notes → HighLevel notes",
            "A note posted to the inbound URL is added to the client's contact (found by "
            "email or name).",
            "ghl",
            KIND,
            notes_to_ghl,
        ),
    ]
}
