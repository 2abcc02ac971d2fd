"""Contact tasks, notes and appointments."""

from __future__ import annotations

from sandbox.models import SandboxAppointment, SandboxNote, SandboxTask

from . import errors, services
from .api import READ, WRITE, endpoint, json_body, ok
from .contacts import get_contact
from .errors import GHLError


def _due(value, problems: list[str]):
    when = services.parse_when(value) if isinstance(value, str) else None
    if when is None:
        problems.append("dueDate must be a valid ISO 8601 date string")
    return when


def _task_fields(data: dict, required: bool) -> dict:
    allowed = {"title", "body", "dueDate", "completed", "assignedTo"}
    problems = [f"property {k} should not exist" for k in data if k not in allowed]
    fields: dict = {}
    if required:
        for key in ("title", "dueDate", "completed"):
            if key not in data or data[key] in (None, ""):
                problems.append(f"{key} should not be empty")
    if "title" in data and data["title"] not in (None, ""):
        if not isinstance(data["title"], str):
            problems.append("title must be a string")
        else:
            fields["title"] = data["title"]
    if "body" in data:
        if data["body"] is not None and not isinstance(data["body"], str):
            problems.append("body must be a string")
        else:
            fields["body"] = data["body"] or ""
    if "dueDate" in data and data["dueDate"] not in (None, ""):
        fields["due_date"] = _due(data["dueDate"], problems)
    if "completed" in data and data["completed"] is not None:
        if not isinstance(data["completed"], bool):
            problems.append("completed must be a boolean value")
        else:
            fields["completed"] = data["completed"]
    if "assignedTo" in data:
        if data["assignedTo"] is not None and not isinstance(data["assignedTo"], str):
            problems.append("assignedTo must be a string")
        else:
            fields["assigned_to"] = data["assignedTo"] or ""
    if problems:
        raise GHLError(errors.unprocessable(problems))
    return fields


def _task(contact, task_id) -> SandboxTask:
    task = SandboxTask.objects.filter(pk=task_id, contact=contact).first()
    if task is None:
        raise GHLError(errors.not_found("Task not found"))
    return task


def list_tasks(request, principal, contactId):
    contact = get_contact(principal, contactId)
    tasks = contact.tasks.order_by("date_added", "id")
    return ok({"tasks": [services.task_to_dict(t) for t in tasks]})


def create_task(request, principal, contactId):
    fields = _task_fields(json_body(request), required=True)
    contact = get_contact(principal, contactId)
    task = services.create_task(contact, **fields)
    return ok({"task": services.task_to_dict(task)}, 201)


def get_task(request, principal, contactId, taskId):
    task = _task(get_contact(principal, contactId), taskId)
    return ok({"task": services.task_to_dict(task)})


def update_task(request, principal, contactId, taskId):
    fields = _task_fields(json_body(request), required=False)
    task = _task(get_contact(principal, contactId), taskId)
    services.update_task(task, **fields)
    return ok({"task": services.task_to_dict(task)})


def delete_task(request, principal, contactId, taskId):
    services.delete_task(_task(get_contact(principal, contactId), taskId))
    return ok({"succeded": True})


def complete_task(request, principal, contactId, taskId):
    data = json_body(request)
    if not isinstance(data.get("completed"), bool):
        raise GHLError(errors.unprocessable(["completed must be a boolean value"]))
    task = _task(get_contact(principal, contactId), taskId)
    services.update_task(task, completed=data["completed"])
    return ok({"task": services.task_to_dict(task)})


tasks_root = endpoint({"GET": (READ, list_tasks), "POST": (WRITE, create_task)})
task_detail = endpoint(
    {"GET": (READ, get_task), "PUT": (WRITE, update_task), "DELETE": (WRITE, delete_task)}
)
task_completed = endpoint({"PUT": (WRITE, complete_task)})


# --- notes -------------------------------------------------------------------------------


def _note_fields(data: dict, required: bool) -> dict:
    allowed = {"userId", "body", "title", "color", "pinned"}
    problems = [f"property {k} should not exist" for k in data if k not in allowed]
    if required and (not isinstance(data.get("body"), str) or not data["body"].strip()):
        problems.append("body should not be empty")
    fields: dict = {}
    for key, attr in (
        ("body", "body"),
        ("title", "title"),
        ("color", "color"),
        ("userId", "user_id"),
    ):
        if key in data and data[key] is not None:
            if not isinstance(data[key], str):
                problems.append(f"{key} must be a string")
            else:
                fields[attr] = data[key]
    if "pinned" in data and data["pinned"] is not None:
        if not isinstance(data["pinned"], bool):
            problems.append("pinned must be a boolean value")
        else:
            fields["pinned"] = data["pinned"]
    if problems:
        raise GHLError(errors.unprocessable(problems))
    return fields


def _note(contact, note_id) -> SandboxNote:
    note = SandboxNote.objects.filter(pk=note_id, contact=contact).first()
    if note is None:
        raise GHLError(errors.not_found("Note not found"))
    return note


def list_notes(request, principal, contactId):
    contact = get_contact(principal, contactId)
    notes = contact.notes.order_by("-date_added", "id")
    return ok({"notes": [services.note_to_dict(n) for n in notes]})


def create_note(request, principal, contactId):
    fields = _note_fields(json_body(request), required=True)
    contact = get_contact(principal, contactId)
    note = services.create_note(contact, **fields)
    return ok({"note": services.note_to_dict(note)}, 201)


def get_note(request, principal, contactId, id):
    return ok({"note": services.note_to_dict(_note(get_contact(principal, contactId), id))})


def update_note(request, principal, contactId, id):
    fields = _note_fields(json_body(request), required=False)
    note = _note(get_contact(principal, contactId), id)
    services.update_note(note, **fields)
    return ok({"note": services.note_to_dict(note)})


def delete_note(request, principal, contactId, id):
    services.delete_note(_note(get_contact(principal, contactId), id))
    return ok({"succeded": True})


notes_root = endpoint({"GET": (READ, list_notes), "POST": (WRITE, create_note)})
note_detail = endpoint(
    {"GET": (READ, get_note), "PUT": (WRITE, update_note), "DELETE": (WRITE, delete_note)}
)


# --- appointments ------------------------------------------------------------------------


def appointments(request, principal, contactId):
    contact = get_contact(principal, contactId)
    events = SandboxAppointment.objects.filter(contact=contact).order_by("start_time")
    return ok({"events": [services.event_to_dict(e) for e in events]})


contact_appointments = endpoint({"GET": (READ, appointments)})
