"""Your App connector: tasks, notes, appointments and tags, against the sandbox over HTTP."""

from __future__ import annotations

import uuid

import pytest

from integrations.connectors.base import ConnectorError, ObjectType
from integrations.connectors.rest.connector import RestConnector
from integrations.models import Connection

from .test_rest_fixtures import rest_conn, yourapp  # noqa: F401

CHILDREN = {
    "task": {"title": "Call back", "due_date": "2030-01-02T10:00:00Z", "notes": "quote"},
    "note": {"body": "Prefers email"},
    "appointment": {
        "title": "First visit",
        "start_time": "2030-01-02T10:00:00Z",
        "end_time": "2030-01-02T10:30:00Z",
        "status": "confirmed",
    },
}


def make_contact(app) -> str:
    created = app.call(
        "contact.create", body={"last_name": "Kid", "email": f"k.{uuid.uuid4().hex[:8]}@ex.org"}
    )
    return app.record_id(created)


def test_class_declares_object_types_with_parents():
    types = RestConnector.object_types
    assert types["contact"] == ObjectType("contact", label_field="email")
    for name in ("task", "note", "appointment"):
        assert types[name].parent == "contact"
        assert types[name].parent_field == "contact_id"
        assert types[name].id_field == "id"
    assert set(RestConnector.event_types) == {
        f"{obj}.{action}"
        for obj in ("contact", "task", "note", "appointment")
        for action in ("created", "updated", "deleted")
    }
    assert "start_time" in RestConnector.record_fields["appointment"]


def test_a_connection_declares_only_its_configured_objects(workspace):
    conn = Connection(
        workspace=workspace,
        kind="rest",
        config={
            "objects": {
                "contact": {"create": {"path": "/people"}},
                "ticket": {
                    "create": {"path": "/tickets"},
                    "parent": "contact",
                    "parent_field": "person_id",
                },
                "note": {"create": {"path": "/notes"}},
            }
        },
    )
    app = conn.connector
    assert set(app.object_types) == {"contact", "ticket", "note"}
    assert app.object_types["ticket"].parent_field == "person_id"
    assert app.object_types["note"].parent == "contact"
    assert "ticket.created" in app.event_types and "task.created" not in app.event_types
    lonely = Connection(
        workspace=workspace, kind="rest", config={"objects": {"note": {"get": {"path": "/n"}}}}
    )
    assert lonely.connector.object_types["note"].parent is None  # no contact to resolve


@pytest.mark.parametrize("name", list(CHILDREN))
def test_child_operations_round_trip(rest_conn, name):  # noqa: F811
    app = rest_conn.connector
    contact_id = make_contact(app)
    other_id = make_contact(app)
    created = app.call(f"{name}.create", body={**CHILDREN[name], "contact_id": contact_id})
    child_id = app.record_id(created)
    assert created["contact_id"] == contact_id
    app.call(f"{name}.create", body={**CHILDREN[name], "contact_id": other_id})

    found = app.find(name, contact_id=contact_id)
    assert [r["id"] for r in found] == [child_id]
    assert app.call(f"{name}.get", id=child_id)["id"] == child_id

    change = {"body": "changed"} if name == "note" else {"title": "changed"}
    updated = app.call(f"{name}.update", id=child_id, body=change)
    assert updated["contact_id"] == contact_id and updated | change == updated

    records, cursor = app.poll({"object": name}, "")
    assert len(records) == 2 and cursor == records[-1]["updated_at"]

    assert app.call(f"{name}.delete", id=child_id) is None
    with pytest.raises(ConnectorError) as exc:
        app.call(f"{name}.get", id=child_id)
    assert exc.value.status == 404 and exc.value.permanent


def test_a_child_of_a_missing_contact_is_a_clear_validation_error(rest_conn):  # noqa: F811
    app = rest_conn.connector
    with pytest.raises(ConnectorError) as exc:
        app.call("task.create", body={"title": "Orphan", "contact_id": "ya_nobody"})
    assert exc.value.status == 422 and exc.value.permanent
    assert "contact_id: no contact" in exc.value.message


def test_task_completion_and_tags(rest_conn):  # noqa: F811
    app = rest_conn.connector
    contact_id = make_contact(app)
    task = app.call("task.create", body={"title": "T", "contact_id": contact_id})
    done = app.call("task.update", id=task["id"], body={"completed": True})
    assert done["completed"] is True
    tagged = app.call("contact.add_tags", id=contact_id, body={"tags": ["vip", "lead"]})
    assert tagged["tags"] == ["vip", "lead"]
    untagged = app.call("contact.remove_tags", id=contact_id, body={"tags": ["vip"]})
    assert untagged["tags"] == ["lead"]
    assert app.catalog["contact.remove_tags"].method == "DELETE"


def test_event_record_reads_every_object():
    record = {"id": "task_1", "contact_id": "ya_1", "title": "T"}
    payload = {"type": "task.updated", "id": "evt_1", "occurred_at": "x", "data": record}
    assert RestConnector.event_record(payload) == record
    assert RestConnector.event_object(payload) == "task"
    assert RestConnector.event_object({"type": "appointment.deleted"}) == "appointment"
    assert RestConnector.event_object({}) == ""
