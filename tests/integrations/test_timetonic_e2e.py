"""GHL ↔ TimeTonic end to end: the demo integration (the wizard's templates, published)
against both simulators over real HTTP, a real Celery worker running every run. GHL signs
webhooks to our receiver; TimeTonic's "Call an API" automations post rows to the
connection's inbound URL with its bearer secret.

Then every bad input the issue names (a wrong sesskey, a dropped session re-minted once
then "needs re-auth", a nok with an unknown code, a mapped field deleted from the table,
a row without email) is a clear run error, and nothing is lost: the event is stored and
the run keeps its payload, so a retry after the fix goes through.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import requests
from django.core.management import call_command

from config.celery import app as celery_app
from integrations import runs as run_actions
from integrations.connectors.base import ErrorKind
from integrations.models import (
    ConnectionStatus,
    Flow,
    RecordLink,
    Run,
    RunStatus,
    WebhookEvent,
)
from integrations.wizard import starter, timetonic_demo
from tests.connectors.conftest import pit_connection
from tests.workers import Worker, broker_available, wait_for

pytestmark = pytest.mark.django_db(transaction=True)
FINISHED = [RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.SKIPPED]
SCOPES = (
    "contacts.readonly contacts.write locations.readonly calendars.readonly "
    "calendars/events.readonly calendars/events.write"
)


class TimeTonic:
    """TimeTonic's api.php, as a person's script (or TimeTonic's own screen) writes it."""

    def __init__(self, base: str) -> None:
        self.base = base + "/sandbox/timetonic"
        self.info = requests.get(self.base + "/_control/info", timeout=10).json()
        self.fields = {
            t["name"]: {f["name"]: f["id"] for f in t["fields"]} for t in self.info["categories"]
        }

    def call(self, req: str, **params) -> dict:  # type: ignore[no-untyped-def]
        data = {"req": req, "o_u": self.info["o_u"], "u_c": self.info["o_u"]}
        data.update(sesskey=self.info["sesskey"], **params)
        answer = requests.post(self.base + "/live/api.php", data=data, timeout=10).json()
        assert answer["status"] == "ok", answer
        return answer

    def write(self, table: str, row_id: str = "tmpNEW", **values) -> str:  # type: ignore[no-untyped-def]
        ids = self.fields[table]
        body = {str(ids[name]): value for name, value in values.items()}
        answer = self.call(
            "createOrUpdateTableRow",
            rowId=row_id,
            catId=self.info["tables"][table],
            fieldValues=json.dumps(body),
        )
        return str(answer["rows"][0]["id"])

    def rows(self, table: str) -> list[dict]:
        answer = self.call("getTableValues", catId=self.info["tables"][table], format="rows")
        return [
            {"id": str(r["id"]), **{k: v["value"] for k, v in r["fields"].items()}}
            for r in answer["tableValues"]["rows"]
        ]

    def row_by(self, table: str, name: str, value: str) -> dict | None:
        return next((r for r in self.rows(table) if r.get(name) == value), None)

    def control(self, name: str, **body) -> None:  # type: ignore[no-untyped-def]
        answer = requests.post(f"{self.base}/_control/{name}", json=body, timeout=10)
        assert answer.status_code == 200, answer.text


@pytest.fixture
def world(ghl_sandbox, workspace, settings, tmp_path):
    broker_available()
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.SANDBOX_TIMETONIC_DELIVERY_SYNC = True
    celery_app.conf.task_always_eager = False
    base = ghl_sandbox.url
    requests.post(base + "/sandbox/timetonic/_control/reset", timeout=10)
    ghl = pit_connection(workspace, scopes=SCOPES)
    tt = timetonic_demo.connection(workspace, base)
    integration = timetonic_demo.build(workspace, ghl, tt, name="ghl-tt")
    call_command("sandbox_subscribe", base + "/webhooks/ghl/", "--exclusive", verbosity=0)
    timetonic_demo.point_automations(base, tt)
    worker = Worker(
        tmp_path / "worker.log", {"SYNC_RETRY_BASE_SECONDS": "0.2", "SYNC_RETRY_MAX_SECONDS": "1"}
    )
    contact = ghl.connector.call("search-contacts-advanced", body={"pageLimit": 1})["contacts"][0]
    yield {
        "calendar": starter.ghl_calendar(ghl),
        "ghl": ghl,
        "tt": tt,
        "app": TimeTonic(base),
        "integration": integration,
        "contact": contact,
        "worker": worker,
    }
    worker.stop()
    celery_app.conf.task_always_eager = True


def settled(**filters) -> list[Run]:  # type: ignore[no-untyped-def]
    runs = Run.objects.filter(**filters)
    if not runs.exists() or runs.exclude(status__in=FINISHED).exists():
        return []
    return list(runs.order_by("pk"))


def ghl_contact(world, email: str) -> dict | None:  # type: ignore[no-untyped-def]
    ghl = world["ghl"]
    found = ghl.connector.call("get-duplicate-contact", locationId=ghl.account_id, email=email)
    return (found or {}).get("contact")


def touch_ghl_contact(world, first_name: str, phone: str = "+33612000000") -> Run:  # type: ignore[no-untyped-def]
    """Change the GHL contact; return the GHL → TimeTonic run its webhook starts, ended."""
    contact = world["contact"]
    before = Run.objects.filter(flow__source=world["ghl"], flow__object_type="contact").count()
    world["ghl"].connector.call(
        "update-contact",
        contactId=contact["id"],
        body={"firstName": first_name, "phone": phone},
    )

    def ended() -> Run | None:
        # This change's own run: an echo of an earlier step (TimeTonic's automation posting
        # our write back, GHL updated again) may settle after it.
        found = settled(flow__source=world["ghl"], flow__object_type="contact")
        mine = [r for r in found[before:] if (r.payload or {}).get("firstName") == first_name]
        return mine[-1] if mine else None

    return wait_for(ended, what=f"the run for {first_name}")


def test_contacts_and_tasks_go_both_ways(world):
    app, contact = world["app"], world["contact"]
    email = contact["email"]
    # GHL → TimeTonic: the contact's change makes (then updates) its TimeTonic row.
    run = touch_ghl_contact(world, "Grace")
    assert run.status == RunStatus.SUCCEEDED, run.error
    row = wait_for(lambda: app.row_by("Contacts", "Email", email), what="the TimeTonic row")
    assert row["First name"] == "Grace"
    link = RecordLink.objects.get(object_type="contact", left_record=contact["id"])
    assert link.right_record == row["id"]

    # TimeTonic → GHL: a new row (the automation posts it) is upserted by email.
    row_id = app.write("Contacts", **{"First name": "Lin", "Email": "lin.tt@example.com"})
    made = wait_for(lambda: ghl_contact(world, "lin.tt@example.com"), what="the GHL contact")
    assert made["firstName"] == "Lin"
    events = WebhookEvent.objects.filter(event_type="contact.created", connection=world["tt"])
    (event,) = [e for e in events if json.loads(e.raw_body)["rowId"] == int(row_id)]
    assert event.signature_verdict == "valid_secret" and event.status == "processed"

    # A task row linked to Lin → a GHL task on Lin's GHL contact, due date and status mapped.
    due = (datetime.now(UTC) + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    app.write(
        "Tasks",
        Title="Send the contract",
        Contact=[{"row_id": int(row_id)}],
        **{"Due date": due},
        Done=False,
        Status="open",
    )
    (task_run,) = wait_for(lambda: settled(event_type="task.created"), what="the task run")
    assert task_run.status == RunStatus.SUCCEEDED, task_run.error
    tasks = world["ghl"].connector.call("get-all-tasks", contactId=made["id"])["tasks"]
    assert [(t["title"], t["completed"]) for t in tasks] == [("Send the contract", False)]
    # Completed in GHL → Done and "done" on the row.
    world["ghl"].connector.call(
        "update-task-completed",
        contactId=made["id"],
        taskId=tasks[0]["id"],
        body={"completed": True},
    )
    done = wait_for(
        lambda: (r := app.row_by("Tasks", "Title", "Send the contract")) and r["Done"] and r,
        what="the task done in TimeTonic",
    )
    assert done["Status"] == "done"
    # Every run of the way ended well: echoes of our own writes were skipped, none failed.
    ended = wait_for(lambda: settled(flow__integration=world["integration"]), what="all runs")
    failed = [(r.flow.name, r.event_type, r.error) for r in ended if r.status == "failed"]
    assert failed == []
    assert "echo" in " ".join(m for r in ended for m in r.events.values_list("message", flat=True))


def test_bad_inputs_are_clear_run_errors_and_nothing_is_lost(world):
    app, tt = world["app"], world["tt"]

    # A row without email: TimeTonic → GHL needs it to upsert.
    app.write("Contacts", **{"First name": "NoMail"})
    (run,) = wait_for(lambda: settled(event_type="contact.created"), what="the no-email run")
    assert run.status == RunStatus.FAILED and run.error_kind == ErrorKind.VALIDATION
    assert "'email'" in run.error and run.payload["First name"] == "NoMail"
    assert run.webhook_event.status == "processed"  # stored, replayable

    # The rest drives GHL → TimeTonic alone: TimeTonic's automation posting our own writes
    # back (echoes the engine skips) would race with the faults injected below for the
    # same connection, so the TimeTonic → GHL flows are switched off from here.
    Flow.objects.filter(source=tt).update(enabled=False)

    # A nok with a code we do not know: a permanent, named error; the retry goes through.
    app.control("config", forced_code="E_MYSTERY", forced_msg="Odd", forced_count=1)
    run = touch_ghl_contact(world, "Mystery")
    assert run.status == RunStatus.FAILED and "E_MYSTERY" in run.error, run.error
    retried = run_actions.retry(run, None)
    wait_for(lambda: settled(pk=retried.pk), what="the retry")
    retried.refresh_from_db()
    assert retried.status == RunStatus.SUCCEEDED, retried.error

    # A dropped session (a login connection, with an oauthkey): re-minted once, it works.
    creds = tt.credentials
    tt.credentials = {**creds, "oauthkey": app.info["oauthkey"]}
    tt.save()
    app.call("dropAllSessions")
    run = touch_ghl_contact(world, "Reminted")
    assert run.status == RunStatus.SUCCEEDED, run.error
    tt.refresh_from_db()
    assert tt.credentials["sesskey"] != creds["sesskey"]
    assert tt.status == ConnectionStatus.ACTIVE

    # A mapped field deleted from the table: the run says which field and which table.
    app.control("fields", table="Contacts", delete="Phone")
    run = touch_ghl_contact(world, "NoPhone", phone="+33699000000")
    assert run.status == RunStatus.FAILED and run.error_kind == ErrorKind.VALIDATION, (
        run.status,
        run.error,
        list(run.events.values_list("message", flat=True)),
    )
    assert "“Phone” is not in TimeTonic table “Contacts”" in run.error

    # Refused again after a new sesskey: the connection needs re-auth, its flows pause.
    app.control("config", forced_code="invalidSesskey", forced_msg="Bad session", forced_count=3)
    run = touch_ghl_contact(world, "Refused")
    assert run.status == RunStatus.FAILED and run.error_kind == ErrorKind.AUTH
    tt.refresh_from_db()
    assert tt.status == ConnectionStatus.NEEDS_REAUTH
    world["integration"].refresh_from_db()
    assert world["integration"].status == "paused"

    # A wrong sesskey pasted (no oauthkey to re-mint), the integration resumed: the run
    # fails at once as an auth error saying what to do, and the flows pause again.
    tt.credentials = {**creds, "sesskey": "wrong"}
    tt.status = ConnectionStatus.ACTIVE
    tt.save()
    world["integration"].status = "active"
    world["integration"].save()
    run = touch_ghl_contact(world, "WrongKey")
    assert run.status == RunStatus.FAILED and run.error_kind == ErrorKind.AUTH, run.error
    assert "paste a new sesskey" in run.error, run.error
    assert run.payload["firstName"] == "WrongKey"  # kept: a retry after reconnecting sends it
    tt.refresh_from_db()
    assert tt.status == ConnectionStatus.NEEDS_REAUTH
    world["integration"].refresh_from_db()
    assert world["integration"].status == "paused"
    result = tt.connector.test()
    tt.refresh_from_db()
    assert not result.ok and tt.status == ConnectionStatus.NEEDS_REAUTH
    assert "paste a new sesskey" in tt.last_error


def log_of(run: Run) -> str:
    return " | ".join(run.events.values_list("message", flat=True))


def test_notes_both_ways_appointments_to_timetonic_a_parent_synced_first_and_deletes(world):
    ghl, app, contact = world["ghl"], world["app"], world["contact"]
    assert not RecordLink.objects.filter(object_type="contact", left_record=contact["id"])
    # A GHL note on a contact TimeTonic has never seen: the contact's row is written first
    # (in the same run, by the contacts flow), then the note row linked to it.
    note = ghl.connector.call(
        "create-note", contactId=contact["id"], body={"body": "Prefers mornings"}
    )
    note = note["note"]
    (run,) = wait_for(lambda: settled(event_type="NoteCreate"), what="the note run")
    assert run.status == RunStatus.SUCCEEDED, (run.error, log_of(run))
    keys = [s.step_key for s in run.steps.all()]
    assert any(k.endswith("(parent)") for k in keys), (keys, log_of(run))
    row = app.row_by("Contacts", "Email", contact["email"])
    assert row is not None
    link = RecordLink.objects.get(object_type="contact", left_record=contact["id"])
    assert link.right_record == row["id"]
    note_row = wait_for(lambda: app.row_by("Notes", "Text", "Prefers mornings"), what="note row")
    assert str(row["id"]) in json.dumps(note_row["Contact"]), note_row

    # Edited in TimeTonic → the same GHL note edited (no second note).
    app.write("Notes", row_id=note_row["id"], Text="Prefers mornings, never Fridays")

    def ghl_notes() -> list[str]:
        return [
            n["body"] for n in ghl.connector.call("get-all-notes", contactId=contact["id"])["notes"]
        ]

    wait_for(lambda: "Prefers mornings, never Fridays" in ghl_notes(), what="the edit in GHL")
    assert "Prefers mornings" not in ghl_notes()
    # A note row added in TimeTonic on that contact → a GHL note on the linked contact.
    app.write("Notes", Text="Paid the deposit", Contact=[{"row_id": int(row["id"])}])
    wait_for(lambda: "Paid the deposit" in ghl_notes(), what="the TimeTonic note in GHL")
    # Deleted in GHL → its row deleted in TimeTonic.
    ghl.connector.call("delete-note", contactId=contact["id"], id=note["id"])
    wait_for(
        lambda: app.row_by("Notes", "Text", "Prefers mornings, never Fridays") is None,
        what="the note row deleted",
    )

    # A GHL appointment → a row of the Appointments table (date fields), linked to the row.
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
    appt = wait_for(lambda: app.row_by("Appointments", "Title", "Cleaning"), what="the row")
    assert str(row["id"]) in json.dumps(appt["Contact"]), appt
    assert _instant(appt["Start"]) == start, appt["Start"]
    assert _instant(appt["End"]) == start + timedelta(minutes=30), appt["End"]
    # Moved in GHL → the same row moved.
    later = start + timedelta(days=1)
    ghl.connector.call(
        "edit-appointment",
        eventId=booked["id"],
        body={"startTime": later.isoformat(), "endTime": (later + timedelta(hours=1)).isoformat()},
    )
    wait_for(
        lambda: _instant(app.row_by("Appointments", "Title", "Cleaning")["Start"]) == later,
        what="the row moved",
    )
    assert len([r for r in app.rows("Appointments") if r.get("Title") == "Cleaning"]) == 1
    # Deleted in GHL → the row deleted.
    ghl.connector.call("delete-event", eventId=booked["id"])
    wait_for(lambda: app.row_by("Appointments", "Title", "Cleaning") is None, what="row deleted")

    ended = wait_for(lambda: settled(flow__integration=world["integration"]), what="all runs")
    failed = [(r.flow.name, r.event_type, r.error) for r in ended if r.status == "failed"]
    assert failed == []


def _instant(value: object) -> datetime:
    """A TimeTonic date field's value (epoch seconds or milliseconds, or ISO) as UTC."""
    if isinstance(value, int | float) or str(value).lstrip("-").isdigit():
        seconds = float(value)
        return datetime.fromtimestamp(seconds / 1000 if seconds > 1e11 else seconds, UTC)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(UTC)
