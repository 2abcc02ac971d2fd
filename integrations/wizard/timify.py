"""Wizard templates for HighLevel (side "a") ↔ TIMIFY (side "b"): the seed's three use cases.

1. Customers both ways: a TIMIFY customer created or changed is upserted in HighLevel by
   email; a HighLevel contact created or changed updates the linked TIMIFY customer (found
   by email the first time, else created with the HighLevel id as its externalId).
2. TIMIFY appointments created, moved or cancelled → HighLevel appointments on the linked
   contact (synced first if new); optionally a HighLevel task "Follow up after appointment".
3. Notes and tags: a TIMIFY appointment's notes → a HighLevel note on the contact; a booked
   appointment adds a HighLevel tag (which can start GHL workflows), a cancelled one removes it.

TIMIFY has no tasks and no notes: HighLevel notes can be carried into the customer's Notes
field (or another customer field chosen in the map step), or, for a new HighLevel
appointment, into the TIMIFY booking's notes.
"""

from __future__ import annotations

import copy
from typing import Any

from integrations.models import Connection
from integrations.wizard.templates import Template

CUSTOMER_REF = {"source": "trigger.customerId", "ref": "contact"}
BOOKED_TAG = "timify-booked"

TIMIFY_TO_GHL = [
    {"target": "firstName", "source": "trigger.firstName", "transforms": [{"name": "trim"}]},
    {"target": "lastName", "source": "trigger.lastName", "transforms": [{"name": "trim"}]},
    {
        "target": "email",
        "source": "trigger.email",
        "required": True,  # the upsert matches by email: without one nothing is written
        "transforms": [{"name": "trim"}, {"name": "lower"}],
    },
    {"target": "phone", "source": "trigger.phone", "transforms": [{"name": "e164"}]},
]
GHL_TO_TIMIFY = [
    {"target": "firstName", "source": "trigger.firstName"},
    {"target": "lastName", "source": "trigger.lastName"},
    {
        "target": "email",
        "source": "trigger.email",
        "required": True,
        "transforms": [{"name": "trim"}, {"name": "lower"}],
    },
    {"target": "phone", "source": "trigger.phone"},
    {"target": "externalId", "source": "trigger.id", "only_on": "create"},
]
STATUS_TO_GHL = {
    "target": "appointmentStatus",
    "source": "trigger.status",
    "transforms": [
        {"name": "value_map", "map": {"cancelled": "cancelled"}, "fallback": "confirmed"}
    ],
}


def _flow(name: str, side: str, events: list[str], object_type: str, *steps: Any) -> Any:
    return {
        "name": name,
        "from": side,
        "trigger_kind": "webhook",
        "trigger_config": {"events": events},
        "object_type": object_type,
        "steps": list(steps),
    }


def customers(a: Connection, b: Connection) -> list[dict[str, Any]]:
    to_ghl = {
        "key": "upsert",
        "operation": "upsert-contact",
        "update_operation": "update-contact",
        "record_mode": "sync",
        "source_id_path": "trigger.id",
        "result_id_path": "contact.id",
        "target_id_param": "contactId",
        "mapping": copy.deepcopy(TIMIFY_TO_GHL),
        "params": {},
    }
    to_timify = {
        "key": "push",
        "operation": "customer.create",
        "update_operation": "customer.update",
        "record_mode": "sync",
        "source_id_path": "trigger.id",
        "result_id_path": "id",
        "target_id_param": "id",
        "mapping": copy.deepcopy(GHL_TO_TIMIFY),
        "params": {
            "_find": {
                "operation": "customer.find",
                "by": {"email": "email"},
                "result_id_path": "data.0.id",
            }
        },
    }
    return [
        _flow(
            f"TIMIFY customer → HighLevel contact (upsert by email) [{b}]",
            "b",
            ["customer.created", "customer.updated"],
            "contact",
            to_ghl,
        ),
        _flow(
            f"HighLevel contact → TIMIFY customer [{b}]",
            "a",
            ["ContactCreate", "ContactUpdate"],
            "contact",
            to_timify,
        ),
    ]


def appointments(
    a: Connection, b: Connection, calendar_id: str = "", follow_up: bool = False
) -> list[dict[str, Any]]:
    """Created or moved → booked or edited in HighLevel; cancelled (deleted in TIMIFY) → the
    linked HighLevel appointment is set to cancelled. Choose the calendar in the map step
    (the step's `calendarId`) when `calendar_id` is not given."""
    mapping = [
        {"target": "title", "source": "trigger.title", "default": "TIMIFY appointment"},
        {"target": "startTime", "source": "trigger.startTime", "required": True},
        {"target": "endTime", "source": "trigger.endTime"},
        copy.deepcopy(STATUS_TO_GHL),
        {"target": "contactId", **CUSTOMER_REF, "required": True, "only_on": "create"},
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
    steps = [push]
    if follow_up:
        steps.append(
            {
                "key": "follow_up",
                "operation": "create-task",
                "record_mode": "",
                "mapping": [
                    {"target": "title", "const": "Follow up after appointment"},
                    {"target": "body", "source": "trigger.title"},
                    {"target": "dueDate", "source": "trigger.endTime", "required": True},
                    {"target": "completed", "const": False},
                ],
                # Once per appointment: when TIMIFY says it was booked.
                "params": {
                    "contactId": dict(CUSTOMER_REF),
                    "_when": {"source": "event.type", "equals": "event.created"},
                },
            }
        )
    cancel = {
        "key": "cancel",
        "operation": "edit-appointment",
        "update_operation": "edit-appointment",
        "record_mode": "sync",
        "source_id_path": "trigger.id",
        "result_id_path": "id",
        "target_id_param": "eventId",
        "mapping": [copy.deepcopy(STATUS_TO_GHL)],
        "params": {"_require_link": True},
    }
    return [
        _flow(
            f"TIMIFY appointments → HighLevel [{b}]",
            "b",
            ["event.created", "event.updated"],
            "appointment",
            *steps,
        ),
        _flow(
            f"Cancelled TIMIFY appointment → HighLevel [{b}]",
            "b",
            ["event.deleted"],
            "appointment",
            cancel,
        ),
    ]


def notes_and_tags(a: Connection, b: Connection, tag: str = BOOKED_TAG) -> list[dict[str, Any]]:
    note = {
        "key": "note",
        "operation": "create-note",
        "update_operation": "update-note",
        "record_mode": "sync",
        "source_id_path": "trigger.id",
        "result_id_path": "note.id",
        "target_id_param": "id",
        "mapping": [
            {
                "target": "body",
                "sources": ["trigger.title", "trigger.startDate", "trigger.notes"],
                "transforms": [{"name": "join", "sep": " · "}],
                "required": True,
            }
        ],
        # Only appointments with notes: one HighLevel note per appointment, kept up to date.
        "params": {
            "contactId": dict(CUSTOMER_REF),
            "_when": {"source": "trigger.hasNotes", "equals": True},
        },
    }

    def tag_step(operation: str) -> dict[str, Any]:
        return {
            "key": "tag",
            "operation": operation,
            "record_mode": "",
            "mapping": [{"target": "tags", "const": [tag]}],
            "params": {"contactId": dict(CUSTOMER_REF)},
        }

    notes_flow = _flow(
        f"TIMIFY appointment notes → HighLevel note [{b}]",
        "b",
        ["event.created", "event.updated"],
        "note",
        note,
    )
    # Its records are TIMIFY appointments: a backfill lists those.
    notes_flow["trigger_config"]["object"] = "appointment"
    return [
        notes_flow,
        _flow(
            f"TIMIFY appointment booked → HighLevel tag “{tag}” [{b}]",
            "b",
            ["event.created"],
            "appointment",
            tag_step("add-tags"),
        ),
        _flow(
            f"TIMIFY appointment cancelled → remove HighLevel tag “{tag}” [{b}]",
            "b",
            ["event.deleted"],
            "appointment",
            tag_step("remove-tags"),
        ),
    ]


def ghl_appointments_to_timify(a: Connection, b: Connection) -> list[dict[str, Any]]:
    """New HighLevel appointments are booked in TIMIFY with their notes (TIMIFY's API books
    and deletes, it does not edit: a later change is refused with a clear error, never
    booked twice). The start must fall on a 5-minute step; the connection's resource is
    used."""
    step = {
        "key": "book",
        "operation": "appointment.create",
        "record_mode": "sync",
        "source_id_path": "trigger.id",
        "result_id_path": "id",
        "target_id_param": "id",
        "mapping": [
            {"target": "title", "source": "trigger.title", "default": "HighLevel appointment"},
            {"target": "start", "source": "trigger.startTime", "required": True},
            {"target": "end", "source": "trigger.endTime", "required": True},
            {"target": "notes", "source": "trigger.notes"},
            {"target": "customer_id", "source": "trigger.contactId", "ref": "contact"},
        ],
        "params": {},
    }
    return [
        _flow(
            f"New HighLevel appointment → TIMIFY booking with its notes [{b}]",
            "a",
            ["AppointmentCreate"],
            "appointment",
            step,
        )
    ]


def ghl_notes_to_customer_field(a: Connection, b: Connection) -> list[dict[str, Any]]:
    """TIMIFY has no notes: a HighLevel note is written into the linked customer's Notes
    field (pick another customer field as the target in the map step)."""
    step = {
        "key": "notes_field",
        "operation": "customer.update",
        "record_mode": "",
        "mapping": [{"target": "notes", "source": "trigger.body", "required": True}],
        "params": {"id": {"source": "trigger.contactId", "ref": "contact"}},
    }
    return [
        _flow(
            f"HighLevel note → TIMIFY customer Notes field [{b}]",
            "a",
            ["NoteCreate", "NoteUpdate"],
            "note",
            step,
        )
    ]


TEMPLATES: dict[str, Template] = {
    t.id: t
    for t in [
        Template(
            "timify_customers",
            "TIMIFY customers ↔ HighLevel contacts",
            "A TIMIFY customer created or changed is upserted in HighLevel at once (by "
            "email); a HighLevel contact created or changed updates the linked TIMIFY "
            "customer (found by email, else created). A customer without email is not "
            "written: its run fails and says so.",
            "ghl",
            "timify",
            customers,
        ),
        Template(
            "timify_appointments",
            "TIMIFY appointments → HighLevel",
            "Appointments booked or moved in TIMIFY are booked or moved in HighLevel on the "
            "linked contact (synced first if new); cancelled ones are set to cancelled. "
            "Choose the HighLevel calendar in the map step.",
            "ghl",
            "timify",
            appointments,
        ),
        Template(
            "timify_appointments_follow_up",
            "TIMIFY appointments → HighLevel, with a follow-up task",
            "As “TIMIFY appointments → HighLevel”, and each new appointment also creates a "
            "HighLevel task “Follow up after appointment” due when it ends.",
            "ghl",
            "timify",
            lambda a, b: appointments(a, b, follow_up=True),
        ),
        Template(
            "timify_notes_tags",
            "TIMIFY notes and events → HighLevel notes and tags",
            "An appointment's notes become a HighLevel note on the contact (kept up to date); "
            f"a booked appointment adds the tag “{BOOKED_TAG}” (use it to start a HighLevel "
            "workflow) and a cancelled one removes it. TIMIFY has no notes or tasks of its own.",
            "ghl",
            "timify",
            notes_and_tags,
        ),
        Template(
            "timify_ghl_appointments",
            "New HighLevel appointments → TIMIFY bookings (with notes)",
            "A new HighLevel appointment is booked in TIMIFY for the linked customer, its notes "
            "in the appointment's notes. TIMIFY's API cannot edit a booking, so later changes "
            "are not sent (their runs say so); starts must fall on a 5-minute step.",
            "ghl",
            "timify",
            ghl_appointments_to_timify,
        ),
        Template(
            "timify_ghl_notes_to_field",
            "HighLevel notes → a TIMIFY customer field",
            "TIMIFY has no notes: a HighLevel note is carried into the linked customer's Notes "
            "field (or another customer field you pick in the map step).",
            "ghl",
            "timify",
            ghl_notes_to_customer_field,
        ),
    ]
}
