"""The records that hang off a contact — tasks, notes, appointments, tags — as flows, both
ways between HighLevel (side "a") and Your App (side "b"). Data, built for two connections.

Every child carries its contact as a reference (`"ref": "contact"`): the engine writes the
id of the contact linked in the other app, syncing that contact first when it is new, and
never sends one app's id to the other. Tags are a step of their own on the contact flows:
additions and removals, never an overwrite. Your App's events are `<object>.created|
updated|deleted`; HighLevel's are its webhook types.
"""

from __future__ import annotations

import copy
from typing import Any

from integrations.models import Connection

CONTACT_REF_GHL = {"source": "trigger.contactId", "ref": "contact"}
CONTACT_REF_APP = {"source": "trigger.contact_id", "ref": "contact"}

# HighLevel → Your App
TASK_TO_APP = [
    {"target": "title", "source": "trigger.title", "required": True},
    {"target": "notes", "source": "trigger.body"},
    {"target": "due_date", "source": "trigger.dueDate"},
    # GHL's TaskComplete carries no `completed` field: the event type says it.
    {
        "target": "completed",
        "source": "event.type",
        "transforms": [{"name": "value_map", "map": {"TaskComplete": True}, "fallback": False}],
    },
    {"target": "contact_id", **CONTACT_REF_GHL, "required": True},
]
NOTE_TO_APP = [
    {"target": "body", "source": "trigger.body", "required": True},
    {"target": "contact_id", **CONTACT_REF_GHL, "required": True},
]
APPOINTMENT_TO_APP = [
    {"target": "title", "source": "trigger.title", "default": "Appointment"},
    {"target": "start_time", "source": "trigger.startTime", "required": True},
    {"target": "end_time", "source": "trigger.endTime", "required": True},
    {"target": "notes", "source": "trigger.notes"},
    {"target": "status", "source": "trigger.appointmentStatus"},
    {"target": "contact_id", **CONTACT_REF_GHL, "required": True},
]
# Your App → HighLevel
NOTE_TO_GHL = [{"target": "body", "source": "trigger.body", "required": True}]
APPOINTMENT_TO_GHL = [
    {"target": "title", "source": "trigger.title"},
    {"target": "startTime", "source": "trigger.start_time", "required": True},
    {"target": "endTime", "source": "trigger.end_time"},
    {"target": "appointmentStatus", "source": "trigger.status"},
    # Only a new appointment names its location and contact (GHL's edit schema has neither).
    {"target": "contactId", **CONTACT_REF_APP, "required": True, "only_on": "create"},
]
TAGS_FROM_GHL = [{"target": "tags", "source": "trigger.tags"}]
TAGS_FROM_APP = [{"target": "tags", "source": "trigger.tags"}]


def tags_step(to_ghl: bool) -> dict[str, Any]:
    """Add and remove tags on the linked contact (the contact flows' second step)."""
    return {
        "key": "tags",
        "operation": "add-tags" if to_ghl else "contact.add_tags",
        "update_operation": "remove-tags" if to_ghl else "contact.remove_tags",
        "record_mode": "tags",
        "source_id_path": "trigger.id",
        "target_id_param": "contactId" if to_ghl else "id",
        "mapping": copy.deepcopy(TAGS_FROM_APP if to_ghl else TAGS_FROM_GHL),
        "params": {},
    }


def _to_app(object_type: str, mapping: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "key": "push",
        "operation": f"{object_type}.create",
        "update_operation": f"{object_type}.update",
        "record_mode": "sync",
        "source_id_path": "trigger.id",
        "result_id_path": "id",
        "target_id_param": "id",
        "mapping": copy.deepcopy(mapping),
        "params": {},
    }


def _delete_in_app(object_type: str) -> dict[str, Any]:
    return {
        "key": "delete",
        "operation": f"{object_type}.delete",
        "record_mode": "delete",
        "source_id_path": "trigger.id",
        "target_id_param": "id",
        "mapping": [],
        "params": {},
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


def tasks(a: Connection, b: Connection) -> list[dict[str, Any]]:
    """3. HighLevel tasks → Your App under the linked contact; completed in Your App →
    completed in HighLevel (`PUT /contacts/{contactId}/tasks/{taskId}/completed`)."""
    completed = {
        "key": "complete",
        "operation": "update-task-completed",
        "update_operation": "update-task-completed",
        "record_mode": "sync",
        "source_id_path": "trigger.id",
        "result_id_path": "task.id",
        "target_id_param": "taskId",
        "mapping": [{"target": "completed", "source": "trigger.completed"}],
        "params": {
            "contactId": dict(CONTACT_REF_APP),
            # Only tasks that came from HighLevel, and only once completed.
            "_when": {"source": "trigger.completed", "equals": True},
            "_require_link": True,
        },
    }
    return [
        _flow(
            f"HighLevel tasks → {b}",
            "a",
            ["TaskCreate", "TaskComplete"],
            "task",
            _to_app("task", TASK_TO_APP),
        ),
        _flow(f"Deleted HighLevel task → {b}", "a", ["TaskDelete"], "task", _delete_in_app("task")),
        _flow(f"Task completed in {b} → HighLevel", "b", ["task.updated"], "task", completed),
    ]


def notes(a: Connection, b: Connection) -> list[dict[str, Any]]:
    """4. Notes added on either side → attached to the linked contact on the other."""
    to_ghl = {
        "key": "push",
        "operation": "create-note",
        "update_operation": "update-note",
        "record_mode": "sync",
        "source_id_path": "trigger.id",
        "result_id_path": "note.id",
        "target_id_param": "id",
        "mapping": copy.deepcopy(NOTE_TO_GHL),
        "params": {"contactId": dict(CONTACT_REF_APP)},
    }
    return [
        _flow(
            f"HighLevel notes → {b}",
            "a",
            ["NoteCreate", "NoteUpdate"],
            "note",
            _to_app("note", NOTE_TO_APP),
        ),
        _flow(f"Deleted HighLevel note → {b}", "a", ["NoteDelete"], "note", _delete_in_app("note")),
        _flow(f"Notes from {b} → HighLevel", "b", ["note.created", "note.updated"], "note", to_ghl),
    ]


def appointments(a: Connection, b: Connection, calendar_id: str = "") -> list[dict[str, Any]]:
    """5. HighLevel appointments ↔ Your App appointments of the linked contact.

    A new appointment in HighLevel needs a calendar: `calendar_id`, or pick one in the map
    step (the step's `calendarId`).
    """
    mapping = copy.deepcopy(APPOINTMENT_TO_GHL)
    mapping += [
        {"target": "calendarId", "const": calendar_id, "required": True, "only_on": "create"},
        {"target": "locationId", "const": a.account_id, "only_on": "create"},
    ]
    to_ghl = {
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
        _flow(
            f"HighLevel appointments → {b}",
            "a",
            ["AppointmentCreate", "AppointmentUpdate"],
            "appointment",
            _to_app("appointment", APPOINTMENT_TO_APP),
        ),
        _flow(
            f"Deleted HighLevel appointment → {b}",
            "a",
            ["AppointmentDelete"],
            "appointment",
            _delete_in_app("appointment"),
        ),
        _flow(
            f"Appointments from {b} → HighLevel",
            "b",
            ["appointment.created", "appointment.updated"],
            "appointment",
            to_ghl,
        ),
    ]
