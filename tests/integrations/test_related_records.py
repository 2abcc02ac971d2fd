"""Tasks, notes, appointments and tags follow their contact, both ways, end to end.

The two-way demo integration (the wizard's templates, published) against both sandboxes
over real HTTP: GHL signs webhooks to our receiver, Your App signs events to its inbound
URL, a real Celery worker (Redis broker in CI) runs every run. Each test starts from a GHL
contact that is not linked yet, so the first child also proves "parent synced first".
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests
from django.core.management import call_command

from config.celery import app as celery_app
from integrations import demo
from integrations.models import RecordLink, Run, RunStatus
from integrations.wizard import starter
from tests.connectors.conftest import pit_connection
from tests.workers import Worker, broker_available, wait_for

pytestmark = pytest.mark.django_db(transaction=True)
SCOPES = (
    "contacts.readonly contacts.write locations.readonly calendars.readonly "
    "calendars/events.readonly calendars/events.write"
)
FINISHED = [RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.SKIPPED]


class App:
    """Your App's REST API, as a person's script would call it."""

    def __init__(self, base: str) -> None:
        self.base = base + "/sandbox/yourapp/api"
        self.headers = {"Authorization": f"Bearer {demo.YOURAPP_API_KEY}"}

    def get(self, path: str, **query):  # type: ignore[no-untyped-def]
        answer = requests.get(self.base + path, params=query, headers=self.headers, timeout=10)
        return answer.json() if answer.status_code == 200 else None

    def send(self, method: str, path: str, body: dict):  # type: ignore[no-untyped-def]
        answer = requests.request(
            method, self.base + path, json=body, headers=self.headers, timeout=10
        )
        assert answer.status_code < 300, answer.text
        return answer.json() if answer.content else None

    def contact_by_email(self, email: str) -> dict | None:
        found = (self.get("/contacts", email=email) or {}).get("data") or []
        return found[0] if found else None


@pytest.fixture
def world(ghl_sandbox, workspace, settings, tmp_path):
    broker_available()
    settings.CELERY_TASK_ALWAYS_EAGER = False
    celery_app.conf.task_always_eager = False
    base = ghl_sandbox.url
    requests.post(base + "/sandbox/yourapp/_control/reset", timeout=10)
    requests.post(
        base + "/sandbox/yourapp/_control/config",
        json={"error_rate": 0, "rate_429": 0, "slow_rate": 0},
        timeout=10,
    )
    ghl = pit_connection(workspace, scopes=SCOPES)
    app = demo.yourapp_connection(workspace, base)
    calendars = ghl.connector.call("get-calendars", locationId=ghl.account_id)["calendars"]
    integration = starter.build_two_way(
        workspace, ghl, app, calendar_id=calendars[0]["id"], name="two-way"
    )
    call_command("sandbox_subscribe", base + "/webhooks/ghl/", "--exclusive", verbosity=0)
    inbound = base + app.connector.inbound_path
    call_command("sandbox_yourapp_subscribe", inbound, "--exclusive", verbosity=0)
    worker = Worker(
        tmp_path / "worker.log", {"SYNC_RETRY_BASE_SECONDS": "0.2", "SYNC_RETRY_MAX_SECONDS": "2"}
    )
    contact = ghl.connector.call("search-contacts-advanced", body={"pageLimit": 1})["contacts"][0]
    yield {
        "base": base,
        "ghl": ghl,
        "app": App(base),
        "integration": integration,
        "contact": contact,
        "calendar": calendars[0]["id"],
    }
    worker.stop()
    celery_app.conf.task_always_eager = True


def settled(**filters) -> list[Run]:  # type: ignore[no-untyped-def]
    """The runs matching `filters`, once there is one and all of them have ended."""
    runs = Run.objects.filter(**filters)
    if not runs.exists() or runs.exclude(status__in=FINISHED).exists():
        return []
    return list(runs.order_by("pk"))


def log_of(run: Run) -> str:
    return "\n".join(run.events.values_list("message", flat=True))


def linked_app_contact(world) -> dict:  # type: ignore[no-untyped-def]
    return wait_for(
        lambda: world["app"].contact_by_email(world["contact"]["email"]),
        what="the contact in Your App",
    )


def test_tasks_follow_their_contact_and_completion_comes_back(world):
    ghl, app, contact = world["ghl"], world["app"], world["contact"]
    assert not RecordLink.objects.filter(left_record=contact["id"]).exists()
    due = (datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    task = ghl.connector.call(
        "create-task",
        contactId=contact["id"],
        body={"title": "Call back about the quote", "dueDate": due, "completed": False},
    )["task"]

    # The contact was not linked: the run synced it first, then wrote the task under it.
    app_task = wait_for(
        lambda: next(
            (t for t in (app.get("/tasks") or {}).get("data", []) if t["title"].startswith("Call")),
            None,
        ),
        what="the task in Your App",
    )
    app_contact = linked_app_contact(world)
    assert app_task["contact_id"] == app_contact["id"] != contact["id"]
    (run,) = wait_for(lambda: settled(event_type="TaskCreate"), what="the task run")
    assert run.status == RunStatus.SUCCEEDED
    assert "syncing it first" in log_of(run)
    assert run.steps.filter(step_key="push (parent)", operation="contact.create").exists()
    assert run.steps.filter(step_key="push", operation__startswith="read contact").exists()
    assert run.record_label == "Call back about the quote"
    assert (
        RecordLink.objects.get(object_type="task", left_record=task["id"]).right_record
        == (app_task["id"])
    )

    # Completed in Your App → completed in GHL (PUT …/tasks/{taskId}/completed).
    app.send("PATCH", f"/tasks/{app_task['id']}", {"completed": True})
    wait_for(
        lambda: ghl.connector.call("get-task", contactId=contact["id"], taskId=task["id"])["task"][
            "completed"
        ],
        what="the task completed in GHL",
    )
    done = wait_for(lambda: settled(flow__name__startswith="Task completed"), what="completion")
    assert any(s.operation == "update-task-completed" for r in done for s in r.steps.all()), [
        log_of(r) for r in done
    ]
    # GHL's TaskComplete comes back: Your App already has it; no write, and it stays done.
    back = wait_for(lambda: settled(event_type="TaskComplete"), what="TaskComplete run")
    assert back[-1].status in (RunStatus.SKIPPED, RunStatus.SUCCEEDED)
    assert app.get(f"/tasks/{app_task['id']}")["completed"] is True

    # Deleted in GHL → deleted in Your App.
    ghl.connector.call("delete-task", contactId=contact["id"], taskId=task["id"])
    wait_for(lambda: app.get(f"/tasks/{app_task['id']}") is None, what="the task deleted")


def test_notes_and_appointments_both_ways(world):
    ghl, app, contact = world["ghl"], world["app"], world["contact"]
    ghl.connector.call("create-note", contactId=contact["id"], body={"body": "Prefers mornings"})
    app_note = wait_for(
        lambda: next(
            (
                n
                for n in (app.get("/notes") or {}).get("data", [])
                if n["body"] == "Prefers mornings"
            ),
            None,
        ),
        what="the GHL note in Your App",
    )
    app_contact = linked_app_contact(world)
    assert app_note["contact_id"] == app_contact["id"]
    # Your App's event about our own write comes back: recognised, nothing written.
    (echo,) = wait_for(
        lambda: settled(record_id=app_note["id"], flow__name__startswith="Notes from"),
        what="Your App's echo of the note",
    )
    assert echo.status == RunStatus.SKIPPED and "echo" in log_of(echo)

    # A note added in Your App is attached to the linked contact in GHL.
    app.send("POST", "/notes", {"body": "Paid the deposit", "contact_id": app_contact["id"]})
    wait_for(
        lambda: any(
            n["body"] == "Paid the deposit"
            for n in ghl.connector.call("get-all-notes", contactId=contact["id"])["notes"]
        ),
        what="the Your App note in GHL",
    )

    # An appointment booked in GHL appears in Your App on the linked contact…
    start = (datetime.now(UTC) + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    booked = ghl.connector.call(
        "create-appointment",
        body={
            "calendarId": world["calendar"],
            "locationId": ghl.account_id,
            "contactId": contact["id"],
            "startTime": start.isoformat(),
            "endTime": (start + timedelta(minutes=30)).isoformat(),
            "title": "Cleaning",
        },
    )
    app_appt = wait_for(
        lambda: next(
            (
                a
                for a in (app.get("/appointments") or {}).get("data", [])
                if a["title"] == "Cleaning"
            ),
            None,
        ),
        what="the GHL appointment in Your App",
    )
    assert app_appt["contact_id"] == app_contact["id"]
    # …and moved in Your App, it moves in GHL (edit-appointment on the linked event).
    app.send("PATCH", f"/appointments/{app_appt['id']}", {"title": "Deep cleaning"})
    wait_for(
        lambda: (
            ghl.connector.call("get-appointment", eventId=booked["id"])
            .get("event", {})
            .get("title")
            == "Deep cleaning"
        ),
        what="the appointment retitled in GHL",
    )
    # GHL's AppointmentUpdate about our edit comes back: nothing to write in Your App.
    back = wait_for(
        lambda: settled(event_type="AppointmentUpdate", record_id=booked["id"]),
        what="GHL's echo of the edit",
    )
    assert back[-1].status == RunStatus.SKIPPED, [log_of(r) for r in back]
    assert app.get(f"/appointments/{app_appt['id']}")["title"] == "Deep cleaning"


def test_tags_are_added_and_removed_on_both_sides_without_ping_pong(world):
    ghl, app, contact = world["ghl"], world["app"], world["contact"]
    ghl.connector.call("add-tags", contactId=contact["id"], body={"tags": ["vip"]})
    app_contact = wait_for(
        lambda: (c := app.contact_by_email(contact["email"])) and "vip" in c["tags"] and c,
        what="the GHL tag in Your App",
    )
    # Removed in Your App → removed in GHL; tags GHL had are not wiped.
    before = set(ghl.connector.call("get-contact", contactId=contact["id"])["contact"]["tags"])
    assert "vip" in before
    app.send("DELETE", f"/contacts/{app_contact['id']}/tags", {"tags": ["vip"]})

    def ghl_tags() -> set[str]:
        return set(ghl.connector.call("get-contact", contactId=contact["id"])["contact"]["tags"])

    wait_for(lambda: "vip" not in ghl_tags(), what="the tag removed in GHL")
    after = ghl_tags()
    assert after == before - {"vip"}
    # Our own write comes back from GHL: found as nothing to do, so the exchange ends.
    echo = wait_for(
        lambda: [
            r
            for r in settled(record_id=contact["id"], flow__source__kind="ghl")
            if r.created > Run.objects.filter(flow__source__kind="rest").latest("pk").created
        ],
        what="GHL's echo of the removal",
    )
    assert all(r.status == RunStatus.SKIPPED for r in echo), [log_of(r) for r in echo]


def test_a_contact_created_in_your_app_is_upserted_in_ghl(world):
    ghl, app = world["ghl"], world["app"]
    made = app.send(
        "POST",
        "/contacts",
        {"first_name": "Nia", "last_name": "Okoro", "email": "nia.okoro@example.com"},
    )
    found = wait_for(
        lambda: ghl.connector.call(
            "search-contacts-advanced",
            body={
                "pageLimit": 5,
                "filters": [{"field": "email", "operator": "eq", "value": "nia.okoro@example.com"}],
            },
        )["contacts"],
        what="the Your App contact in GHL",
    )
    assert found[0]["firstName"] == "Nia"
    link = wait_for(
        lambda: RecordLink.objects.filter(object_type="contact", left_record=made["id"]).first(),
        what="the link of the upserted contact",
    )
    assert link.right_record == found[0]["id"]
    # GHL's ContactCreate about our write comes back and is recognised.
    back = wait_for(
        lambda: settled(record_id=found[0]["id"], flow__source__kind="ghl"),
        what="GHL's echo of the upsert",
    )
    assert all(r.status == RunStatus.SKIPPED for r in back), [log_of(r) for r in back]
