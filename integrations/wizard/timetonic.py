"""Wizard templates for HighLevel (side "a") ↔ TimeTonic (side "b").

TimeTonic has no fixed objects: each template reads the tables chosen in the connection's
settings and maps HighLevel's fields to the fields those tables have, found by name
("First name", "Email", "Due date", …); a field the table lacks is left out, and a table
without what a use case needs makes the template say so. A task, note or appointment row
names its contact through the table's link field (a `ref`: the engine writes the linked
contact's id on the other side, syncing that contact first when it is new).

TimeTonic's events are what its "Call an API" automation posts to our inbound URL:
"<object>.created|updated" (see README, TimeTonic).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

from integrations.demo import CONTACT_EVENTS
from integrations.models import Connection

# Defined before the imports below: templates.py imports this module at its end, and when
# this module is imported first it finds TEMPLATES here (still empty; filled at the end,
# which also registers them in templates.TEMPLATES whichever module came first).
TEMPLATES: dict[str, Any] = {}

from integrations.wizard import templates as _registry  # noqa: E402
from integrations.wizard.templates import Template  # noqa: E402

# HighLevel contact field → names a TimeTonic field may have for it (compared lower-case,
# letters and digits only).
CONTACT_FIELDS: list[tuple[str, tuple[str, ...], list[dict[str, Any]]]] = [
    ("firstName", ("firstname", "prenom", "givenname"), [{"name": "trim"}]),
    ("lastName", ("lastname", "nom", "surname", "familyname"), [{"name": "trim"}]),
    ("email", ("email", "emailaddress", "mail", "courriel"), [{"name": "trim"}, {"name": "lower"}]),
    ("phone", ("phone", "phonenumber", "mobile", "telephone", "tel"), [{"name": "e164"}]),
    ("companyName", ("company", "companyname", "organisation", "organization"), []),
]
TITLE = ("title", "name", "task", "subject")
DESCRIPTION = ("description", "details", "body", "notes")
DUE = ("duedate", "due", "deadline")
STATUS = ("status", "state")
NOTE_TEXT = ("text", "body", "note", "content", "description")
START = ("start", "starttime", "startdate", "begin", "from")
END = ("end", "endtime", "enddate", "to")
DONE_STATUSES = {"done": True, "completed": True, "closed": True, "finished": True}


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _table(conn: Connection, object_type: str) -> dict[str, Any]:
    return ((conn.config or {}).get("tables") or {}).get(object_type) or {}


def field(conn: Connection, object_type: str, names: tuple[str, ...]) -> str:
    """The chosen table's field that goes by one of `names` ("" when it has none)."""
    fields = _table(conn, object_type).get("fields") or []
    for wanted in names:
        for name in fields:
            if _norm(name) == wanted:
                return str(name)
    return ""


def typed(conn: Connection, object_type: str, type_: str) -> str:
    types = _table(conn, object_type).get("types") or {}
    return next((str(n) for n, t in types.items() if t == type_), "")


def link(conn: Connection, object_type: str) -> str:
    return str(_table(conn, object_type).get("link") or "")


def _needs(object_type: str, *required: tuple[str, ...]) -> Callable[[Connection, Connection], str]:
    def check(a: Connection, b: Connection) -> str:
        table = _table(b, object_type)
        if not table:
            return (
                f"{b} has no table chosen for {object_type}s; choose one in the "
                "connection's settings first."
            )
        missing = [names[0] for names in required if not field(b, object_type, names)]
        if missing:
            return (
                f"The TimeTonic table “{table.get('name')}” has no field for "
                f"{', '.join(missing)}; add one in TimeTonic or pick another table."
            )
        return ""

    return check


# --- contacts ---------------------------------------------------------------------------
def ghl_to_tt_contact(b: Connection) -> list[dict[str, Any]]:
    rules = []
    for ghl_name, names, transforms in CONTACT_FIELDS:
        name = field(b, "contact", names)
        if name:
            rules.append(
                {"target": name, "source": f"trigger.{ghl_name}", "transforms": transforms}
            )
    return rules


def tt_to_ghl_contact(b: Connection) -> list[dict[str, Any]]:
    rules = []
    for ghl_name, names, _ in CONTACT_FIELDS:
        name = field(b, "contact", names)
        if name:
            rule: dict[str, Any] = {"target": ghl_name, "source": f"trigger.{name}"}
            if ghl_name == "email":
                rule.update(required=True, transforms=[{"name": "trim"}, {"name": "lower"}])
            rules.append(rule)
    rules.append({"target": "source", "const": "TimeTonic", "only_on": "create"})
    return rules


def contact_step(b: Connection) -> dict[str, Any]:
    """HighLevel contact → the TimeTonic contact row: the linked one, else the row with the
    same email, else a new row."""
    email = field(b, "contact", CONTACT_FIELDS[2][1])
    return {
        "key": "push",
        "operation": "contact.create",
        "update_operation": "contact.update",
        "record_mode": "sync",
        "source_id_path": "trigger.id",
        "result_id_path": "id",
        "target_id_param": "id",
        "mapping": ghl_to_tt_contact(b),
        "params": {
            "_find": {
                "operation": "contact.find",
                "by": {"email": email},
                "result_id_path": "rows.0.id",
            }
        }
        if email
        else {},
    }


def upsert_step(b: Connection) -> dict[str, Any]:
    return {
        "key": "upsert",
        "operation": "upsert-contact",
        "update_operation": "update-contact",
        "record_mode": "sync",
        "source_id_path": "trigger.id",
        "result_id_path": "contact.id",
        "target_id_param": "contactId",
        "mapping": tt_to_ghl_contact(b),
        "params": {},
    }


def _flow(name: str, side: str, events: list[str], object_type: str, *steps: Any) -> Any:
    return {
        "name": name,
        "from": side,
        "trigger_kind": "webhook",
        "trigger_config": {"events": events},
        "object_type": object_type,
        "steps": [copy.deepcopy(s) for s in steps],
    }


def _delete(object_type: str) -> dict[str, Any]:
    return {
        "key": "delete",
        "operation": f"{object_type}.delete",
        "record_mode": "delete",
        "source_id_path": "trigger.id",
        "target_id_param": "id",
        "mapping": [],
        "params": {},
    }


def _to_tt(object_type: str, mapping: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "key": "push",
        "operation": f"{object_type}.create",
        "update_operation": f"{object_type}.update",
        "record_mode": "sync",
        "source_id_path": "trigger.id",
        "result_id_path": "id",
        "target_id_param": "id",
        "mapping": mapping,
        "params": {},
    }


def contacts_both_ways(a: Connection, b: Connection) -> list[dict[str, Any]]:
    return [
        _flow(f"HighLevel contacts → {b}", "a", list(CONTACT_EVENTS), "contact", contact_step(b)),
        _flow(
            f"Deleted HighLevel contact → {b}",
            "a",
            ["ContactDelete"],
            "contact",
            _delete("contact"),
        ),
        _flow(
            f"{b} contacts → HighLevel (upsert by email)",
            "b",
            ["contact.created", "contact.updated"],
            "contact",
            upsert_step(b),
        ),
    ]


def contacts_polled(a: Connection, b: Connection) -> list[dict[str, Any]]:
    flow = _flow(f"{b} contacts, polled every 5 min → HighLevel", "b", [], "contact")
    flow.update(
        trigger_kind="poll",
        trigger_config={"operation": "contact.list", "interval_minutes": 5},
        steps=[upsert_step(b)],
    )
    return [flow]


# --- tasks ------------------------------------------------------------------------------
def _ref(conn: Connection, object_type: str) -> dict[str, Any]:
    return {"source": f"trigger.{link(conn, object_type)}", "ref": "contact"}


def task_to_ghl(b: Connection) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = [
        {"target": "title", "source": f"trigger.{field(b, 'task', TITLE)}", "required": True}
    ]
    if field(b, "task", DESCRIPTION):
        rules.append({"target": "body", "source": f"trigger.{field(b, 'task', DESCRIPTION)}"})
    due = field(b, "task", DUE) or typed(b, "task", "date")
    if due:  # HighLevel requires one: a row without it is a clear run error
        rules.append({"target": "dueDate", "source": f"trigger.{due}", "required": True})
    done, status = typed(b, "task", "boolean"), field(b, "task", STATUS)
    if done:
        rules.append({"target": "completed", "source": f"trigger.{done}", "default": False})
    elif status:
        transform = {"name": "value_map", "map": DONE_STATUSES, "fallback": False}
        rules.append(
            {"target": "completed", "source": f"trigger.{status}", "transforms": [transform]}
        )
    return rules


def task_to_tt(b: Connection) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = [
        {"target": field(b, "task", TITLE), "source": "trigger.title", "required": True}
    ]
    if field(b, "task", DESCRIPTION):
        rules.append({"target": field(b, "task", DESCRIPTION), "source": "trigger.body"})
    due = field(b, "task", DUE) or typed(b, "task", "date")
    if due:
        rules.append({"target": due, "source": "trigger.dueDate"})
    # GHL's TaskComplete carries no `completed` field: the event type says it.
    completed = {"TaskComplete": True}
    if typed(b, "task", "boolean"):
        transform = {"name": "value_map", "map": completed, "fallback": False}
        rules.append(
            {
                "target": typed(b, "task", "boolean"),
                "source": "event.type",
                "transforms": [transform],
            }
        )
    if field(b, "task", STATUS):
        transform = {"name": "value_map", "map": {"TaskComplete": "done"}, "fallback": "open"}
        rules.append(
            {"target": field(b, "task", STATUS), "source": "event.type", "transforms": [transform]}
        )
    rules.append(
        {
            "target": link(b, "task"),
            "source": "trigger.contactId",
            "ref": "contact",
            "required": True,
        }
    )
    return rules


def tasks_both_ways(a: Connection, b: Connection) -> list[dict[str, Any]]:
    """TimeTonic task rows → HighLevel tasks on the linked contact (status and due date
    mapped), and HighLevel tasks → rows; completion follows both ways."""
    to_ghl = {
        "key": "push",
        "operation": "create-task",
        "update_operation": "update-task",
        "record_mode": "sync",
        "source_id_path": "trigger.id",
        "result_id_path": "task.id",
        "target_id_param": "taskId",
        "mapping": task_to_ghl(b),
        "params": {"contactId": _ref(b, "task")},
    }
    return [
        _flow(f"{b} tasks → HighLevel", "b", ["task.created", "task.updated"], "task", to_ghl),
        _flow(
            f"HighLevel tasks → {b}",
            "a",
            ["TaskCreate", "TaskComplete"],
            "task",
            _to_tt("task", task_to_tt(b)),
        ),
        _flow(f"Deleted HighLevel task → {b}", "a", ["TaskDelete"], "task", _delete("task")),
    ]


# --- notes ------------------------------------------------------------------------------
def notes_both_ways(a: Connection, b: Connection) -> list[dict[str, Any]]:
    text = field(b, "note", NOTE_TEXT)
    to_ghl = {
        "key": "push",
        "operation": "create-note",
        "update_operation": "update-note",
        "record_mode": "sync",
        "source_id_path": "trigger.id",
        "result_id_path": "note.id",
        "target_id_param": "id",
        "mapping": [{"target": "body", "source": f"trigger.{text}", "required": True}],
        "params": {"contactId": _ref(b, "note")},
    }
    to_tt = [
        {"target": text, "source": "trigger.body", "required": True},
        {
            "target": link(b, "note"),
            "source": "trigger.contactId",
            "ref": "contact",
            "required": True,
        },
    ]
    return [
        _flow(f"{b} notes → HighLevel", "b", ["note.created", "note.updated"], "note", to_ghl),
        _flow(
            f"HighLevel notes → {b}",
            "a",
            ["NoteCreate", "NoteUpdate"],
            "note",
            _to_tt("note", to_tt),
        ),
        _flow(f"Deleted HighLevel note → {b}", "a", ["NoteDelete"], "note", _delete("note")),
    ]


# --- appointments -----------------------------------------------------------------------
def appointments_to_tt(a: Connection, b: Connection) -> list[dict[str, Any]]:
    """HighLevel appointments → rows of a TimeTonic table with date fields."""
    o = "appointment"
    rules: list[dict[str, Any]] = [
        {"target": field(b, o, START), "source": "trigger.startTime", "required": True}
    ]
    optional = [
        (field(b, o, TITLE), "trigger.title"),
        (field(b, o, END), "trigger.endTime"),
        (field(b, o, STATUS), "trigger.appointmentStatus"),
        (field(b, o, ("notes", "description", "details")), "trigger.notes"),
    ]
    rules += [{"target": t, "source": s} for t, s in optional if t]
    rules.append(
        {"target": link(b, o), "source": "trigger.contactId", "ref": "contact", "required": True}
    )
    return [
        _flow(
            f"HighLevel appointments → {b}",
            "a",
            ["AppointmentCreate", "AppointmentUpdate"],
            o,
            _to_tt(o, rules),
        ),
        _flow(f"Deleted HighLevel appointment → {b}", "a", ["AppointmentDelete"], o, _delete(o)),
    ]


TEMPLATES.update(
    (t.id, t)
    for t in [
        Template(
            "tt_contacts_two_way",
            "Contacts, both ways (upsert by email)",
            "A contact created or updated in TimeTonic is upserted into HighLevel by email; a "
            "HighLevel contact is written to the TimeTonic contact row (found by email the "
            "first time): name, email, phone, company. A deleted one is deleted.",
            "ghl",
            "timetonic",
            contacts_both_ways,
            _needs("contact", CONTACT_FIELDS[2][1]),
        ),
        Template(
            "tt_contacts_polled",
            "TimeTonic contacts, polled every 5 minutes",
            "Reads the contact table every 5 minutes and upserts new and changed rows (a hash "
            "per row) into HighLevel: for tables without a “Call an API” automation.",
            "ghl",
            "timetonic",
            contacts_polled,
            _needs("contact", CONTACT_FIELDS[2][1]),
        ),
        Template(
            "tt_tasks_two_way",
            "Tasks, both ways, completion included",
            "TimeTonic task rows linked to a contact become HighLevel tasks on that contact "
            "(title, due date, status → completed) and HighLevel tasks become rows; "
            "completing on either side completes on the other.",
            "ghl",
            "timetonic",
            tasks_both_ways,
            _needs("task", TITLE),
        ),
        Template(
            "tt_notes_two_way",
            "Notes, both ways",
            "Note rows linked to a contact become HighLevel notes on that contact, and "
            "HighLevel notes become rows; edits follow.",
            "ghl",
            "timetonic",
            notes_both_ways,
            _needs("note", NOTE_TEXT),
        ),
        Template(
            "tt_appointments",
            "HighLevel appointments → a TimeTonic table",
            "HighLevel appointments are written to a table with date fields (start, end), "
            "linked to the contact's row; changes and deletions follow.",
            "ghl",
            "timetonic",
            appointments_to_tt,
            _needs("appointment", START),
        ),
    ]
)
_registry.TEMPLATES.update(TEMPLATES)
