"""Ready-made flows the wizard starts from, as data.

A template names the connector kinds it joins (side "a" and side "b") and builds its
flows for the two chosen connections; one that cannot work with them (e.g. no "task"
object configured in Your App) says why instead.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from integrations.demo import CONTACT_EVENTS, GHL_TO_YOURAPP, YOURAPP_TO_GHL
from integrations.models import Connection
from integrations.wizard import related


@dataclass(frozen=True)
class Template:
    id: str
    name: str
    description: str
    a_kind: str
    b_kind: str
    build: Callable[[Connection, Connection], list[dict[str, Any]]]
    # Returns why the template cannot be used with these connections ("" when it can).
    unavailable: Callable[[Connection, Connection], str] = lambda a, b: ""


def _rest_objects(connection: Connection) -> dict[str, Any]:
    return (connection.config or {}).get("objects") or {}


def _needs_object(name: str) -> Callable[[Connection, Connection], str]:
    def check(a: Connection, b: Connection) -> str:
        if "create" in (_rest_objects(b).get(name) or {}):
            return ""
        return (
            f"{b} has no “{name}” object configured (it needs at least a create path); "
            "add one to the connection's objects first."
        )

    return check


def contact_sync_step(mapping: list[dict[str, Any]]) -> dict[str, Any]:
    """GHL contact → Your App contact: update the linked one, else find by email, else create."""
    return {
        "key": "push",
        "operation": "contact.create",
        "update_operation": "contact.update",
        "record_mode": "sync",
        "source_id_path": "trigger.id",
        "result_id_path": "id",
        "target_id_param": "id",
        "mapping": copy.deepcopy(mapping),
        "params": {
            "_find": {
                "operation": "contact.find",
                "by": {"email": "email"},
                "result_id_path": "data.0.id",
            }
        },
    }


def _ghl_contacts_to_app(a: Connection, b: Connection) -> list[dict[str, Any]]:
    return [
        {
            "name": "New or updated HighLevel contact → " + str(b),
            "from": "a",
            "trigger_kind": "webhook",
            "trigger_config": {"events": list(CONTACT_EVENTS)},
            "object_type": "contact",
            "steps": [contact_sync_step(_without_tags(GHL_TO_YOURAPP)), related.tags_step(False)],
        },
        {
            "name": "Deleted HighLevel contact → " + str(b),
            "from": "a",
            "trigger_kind": "webhook",
            "trigger_config": {"events": ["ContactDelete"]},
            "object_type": "contact",
            "steps": [
                {
                    "key": "delete",
                    "operation": "contact.delete",
                    "record_mode": "delete",
                    "source_id_path": "trigger.id",
                    "target_id_param": "id",
                    "mapping": [],
                    "params": {},
                }
            ],
        },
    ]


def _without_tags(mapping: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Contact fields without tags: tags go through a tags step (add/remove, no overwrite)."""
    return [copy.deepcopy(rule) for rule in mapping if rule["target"] != "tags"]


def _app_contacts_to_ghl(a: Connection, b: Connection) -> list[dict[str, Any]]:
    mapping = _without_tags(YOURAPP_TO_GHL)
    return [
        {
            "name": f"Contact from {b} → HighLevel (upsert, tags)",
            "from": "b",
            "trigger_kind": "webhook",
            "trigger_config": {"events": ["contact.created", "contact.updated"]},
            "object_type": "contact",
            "steps": [
                {
                    "key": "upsert",
                    "operation": "upsert-contact",
                    "update_operation": "update-contact",
                    "record_mode": "sync",
                    "source_id_path": "trigger.id",
                    "result_id_path": "contact.id",
                    "target_id_param": "contactId",
                    "mapping": mapping,
                    "params": {},
                },
                related.tags_step(True),
            ],
        }
    ]


def _scheduled(minutes: int) -> Any:
    def build(a: Connection, b: Connection) -> list[dict[str, Any]]:
        return [
            {
                "name": f"Every {minutes} min: HighLevel contacts changed since last time → {b}",
                "from": "a",
                "trigger_kind": "poll",
                "trigger_config": {
                    "operation": "search-contacts-advanced",
                    "interval_minutes": minutes,
                },
                "object_type": "contact",
                "steps": [
                    contact_sync_step(_without_tags(GHL_TO_YOURAPP)),
                    related.tags_step(False),
                ],
            }
        ]

    return build


def _daily() -> Any:
    def build(a: Connection, b: Connection) -> list[dict[str, Any]]:
        return [
            {
                "name": f"Daily full sync: every HighLevel contact → {b}",
                "from": "a",
                "trigger_kind": "schedule",
                # summary_to is filled with the publisher's email when left empty.
                "trigger_config": {
                    "operation": "search-contacts-advanced",
                    "every_minutes": 1440,
                    "mode": "full",
                },
                "object_type": "contact",
                "steps": [
                    contact_sync_step(_without_tags(GHL_TO_YOURAPP)),
                    related.tags_step(False),
                ],
            }
        ]

    return build


TEMPLATES: dict[str, Template] = {
    t.id: t
    for t in [
        Template(
            "ghl_contact_to_app",
            "HighLevel contact → Your App",
            "A new or updated HighLevel contact is created or updated in Your App "
            "(found by email the first time); a deleted one is deleted there.",
            "ghl",
            "rest",
            _ghl_contacts_to_app,
        ),
        Template(
            "app_contact_to_ghl",
            "Your App contact → HighLevel",
            "A contact created or updated in Your App is upserted into HighLevel and "
            "tagged “from-your-app” (add an assignedTo row to assign it to a user).",
            "ghl",
            "rest",
            _app_contacts_to_ghl,
        ),
        Template(
            "ghl_tasks_to_app",
            "Tasks: HighLevel → Your App, completed back",
            "Tasks created or completed in HighLevel are written to Your App under the linked "
            "contact (synced first if new); a task completed in Your App is completed in "
            "HighLevel; a deleted one is deleted.",
            "ghl",
            "rest",
            related.tasks,
            _needs_object("task"),
        ),
        Template(
            "ghl_notes_to_app",
            "Notes, both ways",
            "Notes added on either side are attached to the linked contact on the other; "
            "edits follow, and a note deleted in HighLevel is deleted in Your App.",
            "ghl",
            "rest",
            related.notes,
            _needs_object("note"),
        ),
        Template(
            "appointments_two_way",
            "Appointments, both ways",
            "HighLevel appointments appear in Your App on the linked contact, and Your App's "
            "appointments are booked in HighLevel (choose the calendar in the map step).",
            "ghl",
            "rest",
            related.appointments,
            _needs_object("appointment"),
        ),
        Template(
            "scheduled_15",
            "Scheduled sync every 15 minutes",
            "Polls HighLevel for contacts changed since the last poll and syncs them; "
            "catches anything a lost webhook missed.",
            "ghl",
            "rest",
            _scheduled(15),
        ),
        Template(
            "scheduled_daily",
            "Daily full sync with a summary",
            "Once a day every HighLevel contact is checked; only changed ones are written "
            "(record links make the rest free), and a summary — checked, written, unchanged, "
            "failed — is emailed to you.",
            "ghl",
            "rest",
            _daily(),
        ),
    ]
}


def for_pair(a_kind: str, b_kind: str) -> list[Template]:
    return [t for t in TEMPLATES.values() if t.a_kind == a_kind and t.b_kind == b_kind]


from integrations.wizard import ptdistinction as _ptdistinction  # noqa: E402

TEMPLATES.update(_ptdistinction.TEMPLATES)
from integrations.wizard import timify as _timify  # noqa: E402

TEMPLATES.update(_timify.TEMPLATES)
from integrations.wizard import timetonic as _timetonic  # noqa: E402

TEMPLATES.update(_timetonic.TEMPLATES)
from integrations.wizard import timetopet as _timetopet  # noqa: E402

TEMPLATES.update(_timetopet.TEMPLATES)
