"""Your App (demo): tasks, notes, appointments and tags of a contact, and their events."""

from __future__ import annotations

import pytest

from sandbox.models import SandboxYourAppDelivery, SandboxYourAppTask

from .test_yourapp import BASE, Api, assert_signed, control, receiver  # noqa: F401

pytestmark = pytest.mark.django_db

BODIES = {
    "tasks": {"title": "Call back", "due_date": "2030-01-02T10:00:00Z", "notes": "about the quote"},
    "notes": {"body": "Prefers email"},
    "appointments": {
        "title": "First visit",
        "start_time": "2030-01-02T10:00:00+01:00",
        "end_time": "2030-01-02T10:30:00+01:00",
        "notes": "bring X-rays",
    },
}
SINGULAR = {"tasks": "task", "notes": "note", "appointments": "appointment"}


@pytest.fixture
def api(client):
    return Api(client)


def new_contact(api, email="kid.parent@example.org") -> dict:
    resp = api("POST", "/contacts", {"email": email, "last_name": "Parent"})
    assert resp.status_code == 201, resp.content
    return resp.json()


@pytest.mark.parametrize("kind", list(BODIES))
def test_crud_of_every_child(api, kind):
    contact = new_contact(api)
    resp = api("POST", f"/{kind}", {**BODIES[kind], "contact_id": contact["id"]})
    assert resp.status_code == 201, resp.content
    row = resp.json()
    assert row["contact_id"] == contact["id"]
    assert row["id"].startswith({"tasks": "task_", "notes": "note_", "appointments": "appt_"}[kind])
    assert row["created_at"].endswith("Z") and row["updated_at"].endswith("Z")

    got = api("GET", f"/{kind}/{row['id']}")
    assert got.status_code == 200 and got.json() == row

    change = {"notes": "changed"} if kind != "notes" else {"body": "changed"}
    patched = api("PATCH", f"/{kind}/{row['id']}", change)
    assert patched.status_code == 200, patched.content
    assert patched.json() | change == patched.json()
    assert patched.json()["contact_id"] == contact["id"]

    put = api("PUT", f"/{kind}/{row['id']}", BODIES[kind])
    assert put.status_code == 200, put.content
    assert put.json()["contact_id"] == contact["id"]  # PUT keeps the parent when not given

    assert api("DELETE", f"/{kind}/{row['id']}").status_code == 204
    assert api("GET", f"/{kind}/{row['id']}").status_code == 404
    assert api("DELETE", f"/{kind}/{row['id']}").status_code == 404


def test_task_fields(api):
    contact = new_contact(api)
    task = api("POST", "/tasks", {"title": "T", "contact_id": contact["id"]}).json()
    assert task["completed"] is False and task["due_date"] is None and task["notes"] == ""
    done = api("PATCH", f"/tasks/{task['id']}", {"completed": True, "due_date": "2030-05-01"})
    assert done.json()["completed"] is True
    assert done.json()["due_date"] == "2030-05-01T00:00:00.000Z"


def test_appointment_fields(api):
    contact = new_contact(api)
    appt = api("POST", "/appointments", {**BODIES["appointments"], "contact_id": contact["id"]})
    data = appt.json()
    assert data["start_time"] == "2030-01-02T09:00:00.000Z"  # stored and shown in UTC
    assert data["end_time"] == "2030-01-02T09:30:00.000Z"
    assert data["status"] == "confirmed"
    cancelled = api("PATCH", f"/appointments/{data['id']}", {"status": "cancelled"})
    assert cancelled.json()["status"] == "cancelled"


@pytest.mark.parametrize(
    ("kind", "body", "field", "message"),
    [
        ("tasks", {"title": "T", "contact_id": "ya_nobody"}, "contact_id", "no contact"),
        ("tasks", {"title": "T"}, "contact_id", "required"),
        ("tasks", {"contact_id": "@c"}, "title", "required"),
        ("tasks", {"title": "T", "contact_id": "@c", "completed": "yes"}, "completed", "true"),
        ("tasks", {"title": "T", "contact_id": "@c", "due_date": "soon"}, "due_date", "ISO"),
        ("tasks", {"title": "T", "contact_id": "@c", "colour": "red"}, "colour", "unknown"),
        ("notes", {"contact_id": "@c", "body": ""}, "body", "required"),
        ("notes", {"contact_id": "@c", "body": 3}, "body", "string"),
        (
            "appointments",
            {"title": "A", "contact_id": "@c", "start_time": "2030-01-02T10:00:00Z"},
            "end_time",
            "required",
        ),
        (
            "appointments",
            {
                "title": "A",
                "contact_id": "@c",
                "start_time": "2030-01-02T10:00:00Z",
                "end_time": "2030-01-02T09:00:00Z",
            },
            "end_time",
            "before",
        ),
        (
            "appointments",
            {**BODIES["appointments"], "contact_id": "@c", "status": "maybe"},
            "status",
            "one of",
        ),
    ],
)
def test_validation_is_422_with_the_field(api, kind, body, field, message):
    contact = new_contact(api)
    body = {k: contact["id"] if v == "@c" else v for k, v in body.items()}
    resp = api("POST", f"/{kind}", body)
    assert resp.status_code == 422, resp.content
    data = resp.json()
    assert data["error"] == "validation"
    assert message in data["fields"][field]


def test_patch_to_a_missing_contact_is_422(api):
    contact = new_contact(api)
    task = api("POST", "/tasks", {"title": "T", "contact_id": contact["id"]}).json()
    resp = api("PATCH", f"/tasks/{task['id']}", {"contact_id": "ya_gone"})
    assert resp.status_code == 422
    assert "no contact" in resp.json()["fields"]["contact_id"]


def test_children_need_the_key_and_obey_faults(api, client):
    assert api("GET", "/tasks", key=None).status_code == 401
    assert api("GET", "/notes", key="wrong").status_code == 401
    control(client, error_rate=1)
    resp = api("GET", "/appointments")
    assert resp.status_code == 503 and resp["X-Sandbox-Fault"] == "injected"
    control(client, error_rate=0)
    assert api("GET", "/appointments").status_code == 200
    assert api("POST", "/tasks", raw="[1]").status_code == 400
    assert api("GET", "/widgets").status_code == 404


def test_lists_filter_by_contact_and_page(api):
    ann = new_contact(api, "ann@example.org")
    bob = new_contact(api, "bob@example.org")
    for i in range(3):
        api("POST", "/notes", {"body": f"ann {i}", "contact_id": ann["id"]})
    api("POST", "/notes", {"body": "bob", "contact_id": bob["id"]})
    everything = api("GET", "/notes").json()
    assert everything["total"] == 4
    anns = api("GET", "/notes", contact_id=ann["id"], per_page=2).json()
    assert anns["total"] == 3 and [n["body"] for n in anns["data"]] == ["ann 0", "ann 1"]
    page2 = api("GET", "/notes", contact_id=ann["id"], per_page=2, page=2).json()
    assert [n["body"] for n in page2["data"]] == ["ann 2"]
    since = anns["data"][1]["updated_at"]
    later = api("GET", "/notes", contact_id=ann["id"], updated_since=since).json()
    assert [n["body"] for n in later["data"]] == ["ann 1", "ann 2"]
    assert api("GET", "/notes", updated_since="yesterday").status_code == 422
    assert api("GET", "/tasks", contact_id=bob["id"]).json()["total"] == 0
    by_email = api("GET", "/contacts", email="BOB@example.org").json()
    assert [c["id"] for c in by_email["data"]] == [bob["id"]]


def test_deleting_a_contact_deletes_its_children(api):
    contact = new_contact(api)
    api("POST", "/tasks", {"title": "T", "contact_id": contact["id"]})
    api("DELETE", f"/contacts/{contact['id']}")
    assert not SandboxYourAppTask.objects.exists()


def test_tags_add_and_remove(api):
    contact = new_contact(api)
    resp = api("POST", f"/contacts/{contact['id']}/tags", {"tags": ["vip", " lead ", "vip"]})
    assert resp.status_code == 200 and resp.json()["tags"] == ["vip", "lead"]
    resp = api("POST", f"/contacts/{contact['id']}/tags", {"tags": ["lead", "new"]})
    assert resp.json()["tags"] == ["vip", "lead", "new"]
    resp = api("DELETE", f"/contacts/{contact['id']}/tags", {"tags": ["VIP"]})
    assert resp.json()["tags"] == ["lead", "new"]
    assert api("POST", f"/contacts/{contact['id']}/tags", {"tags": "vip"}).status_code == 422
    assert api("POST", "/contacts/ya_nobody/tags", {"tags": ["x"]}).status_code == 404
    assert api("GET", f"/contacts/{contact['id']}").json()["tags"] == ["lead", "new"]


@pytest.mark.parametrize("kind", list(BODIES))
def test_every_child_write_sends_a_signed_event(api, receiver, kind):  # noqa: F811
    contact = new_contact(api)
    row = api("POST", f"/{kind}", {**BODIES[kind], "contact_id": contact["id"]}).json()
    updated = api("PATCH", f"/{kind}/{row['id']}", {"notes" if kind != "notes" else "body": "x"})
    api("DELETE", f"/{kind}/{row['id']}")
    api("POST", f"/{kind}", {"contact_id": "ya_nobody"})  # refused: no event
    name = SINGULAR[kind]
    events = [e for e in receiver.events() if e["type"].startswith(name + ".")]
    assert [e["type"] for e in events] == [f"{name}.created", f"{name}.updated", f"{name}.deleted"]
    assert events[0]["data"] == row
    assert events[1]["data"] == updated.json()
    assert events[2]["data"]["id"] == row["id"]
    assert all(e["data"]["contact_id"] == contact["id"] for e in events)
    for request in receiver.requests:
        assert_signed(request)
    assert SandboxYourAppDelivery.objects.filter(event_type__startswith=name).count() == 3


def test_tag_changes_send_contact_updated(api, receiver):  # noqa: F811
    contact = new_contact(api)
    api("POST", f"/contacts/{contact['id']}/tags", {"tags": ["vip"]})
    api("POST", f"/contacts/{contact['id']}/tags", {"tags": ["vip"]})  # no change: no event
    api("DELETE", f"/contacts/{contact['id']}/tags", {"tags": ["vip"]})
    events = receiver.events()
    assert [e["type"] for e in events] == ["contact.created", "contact.updated", "contact.updated"]
    assert [e["data"]["tags"] for e in events] == [[], ["vip"], []]


def test_stats_count_children_and_reset_clears_them(api, client):
    contact = new_contact(api)
    api("POST", "/notes", {"body": "n", "contact_id": contact["id"]})
    stats = client.get(f"{BASE}/_control/stats").json()
    assert (stats["contacts"], stats["notes"], stats["tasks"]) == (1, 1, 0)
    client.post(f"{BASE}/_control/reset")
    stats = client.get(f"{BASE}/_control/stats").json()
    assert (stats["contacts"], stats["notes"]) == (0, 0)


# --- the browse UI --------------------------------------------------------------------------


def test_ui_adds_completes_and_deletes_children_and_tags(api, client, receiver):  # noqa: F811
    contact = new_contact(api)
    page = f"{BASE}/_ui/contacts/{contact['id']}/"
    resp = client.post(
        f"{BASE}/_ui/contacts/{contact['id']}/tasks/new",
        {"title": "Call", "due_date": "2030-01-02T10:00", "notes": ""},
    )
    assert resp.status_code == 302 and resp["Location"] == page
    task = SandboxYourAppTask.objects.get()
    assert not task.completed and task.due_date.isoformat() == "2030-01-02T10:00:00+00:00"
    client.post(f"{BASE}/_ui/tasks/{task.id}/", {"title": "Call", "completed": "on"})
    task.refresh_from_db()
    assert task.completed
    client.post(
        f"{BASE}/_ui/contacts/{contact['id']}/appointments/new",
        {"title": "Visit", "start_time": "2030-01-02T10:00", "end_time": "2030-01-02T11:00"},
    )
    client.post(f"{BASE}/_ui/contacts/{contact['id']}/notes/new", {"body": "Hello"})
    bad = client.post(f"{BASE}/_ui/contacts/{contact['id']}/notes/new", {"body": ""})
    assert "problem=" in bad["Location"]
    client.post(f"{BASE}/_ui/contacts/{contact['id']}/tags", {"action": "add", "tag": "vip"})
    html = client.get(page).content.decode()
    assert "Visit" in html and "Hello" in html and task.id in html and "vip" in html
    client.post(f"{BASE}/_ui/contacts/{contact['id']}/tags", {"action": "remove", "tag": "vip"})
    client.post(f"{BASE}/_ui/tasks/{task.id}/", {"action": "delete"})
    assert not SandboxYourAppTask.objects.exists()
    assert [e["type"] for e in receiver.events()] == [
        "contact.created",
        "task.created",
        "task.updated",
        "appointment.created",
        "note.created",
        "contact.updated",
        "contact.updated",
        "task.deleted",
    ]
    assert client.post(f"{BASE}/_ui/widgets/x/", {}).status_code == 404
    assert client.get(f"{BASE}/_ui/tasks/{task.id}/").status_code == 405
