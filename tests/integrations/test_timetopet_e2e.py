"""Time To Pet → HighLevel end to end, over real HTTP, with a real Celery worker.

The sandbox's feed holds 200 visits (weekly series with moved and cancelled instances and
EXDATEs, single visits, two time zones). The client CSV is imported first (as an operator
would), then the seeded demo integration's poll turns every visit into the right HighLevel
appointment on the right contact; the one visit whose client is not in HighLevel fails
saying so; a second poll writes nothing; changes in the feed come through as updates.
The sandbox's and our GHL rate budgets are raised so the test measures behaviour, not the
10-second window (rate limiting has its own tests).
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
import requests

from config.celery import app as celery_app
from integrations.csvio import columns as cols
from integrations.csvio import imports
from integrations.models import (
    Connection,
    Flow,
    ImportBatch,
    PollCursor,
    Run,
    RunStatus,
    WebhookEvent,
)
from integrations.sync import polling
from integrations.wizard import timetopet_demo
from tests.connectors.conftest import pit_connection
from tests.workers import Worker, broker_available, wait_for

pytestmark = pytest.mark.django_db(transaction=True)
SCOPES = (
    "contacts.readonly contacts.write locations.readonly calendars.readonly "
    "calendars/events.readonly calendars/events.write"
)
FINISHED = [RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.SKIPPED]


def ttp(base: str, name: str, body: dict | None = None) -> dict:
    answer = requests.post(f"{base}/sandbox/timetopet/_control/{name}", json=body or {}, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()


def feed_state(base: str, expected: bool = False) -> dict:
    query = "?expected=1" if expected else ""
    return requests.get(f"{base}/sandbox/timetopet/_control/state{query}", timeout=30).json()


@pytest.fixture
def world(ghl_sandbox, workspace, owner, settings, tmp_path):  # type: ignore[no-untyped-def]
    broker_available()
    base = ghl_sandbox.url
    answer = requests.post(base + "/sandbox/ghl/_control/limits", json={"max": 100000}, timeout=10)
    assert answer.status_code == 200, answer.text
    settings.GHL_RATE_LIMIT_MAX = 100000
    paths = ttp(base, "generate")
    ghl = pit_connection(workspace, scopes=SCOPES)
    conn = Connection(workspace=workspace, kind="timetopet", auth_method="feed", label="TTP")
    conn.connector.connect_with(
        "feed", {"feed_url": base + paths["feed"], "interval": 1, "timezone": "America/New_York"}
    )
    conn.save()
    calendar = ghl.connector.call("get-calendars", locationId=ghl.account_id)["calendars"][0]
    integration = timetopet_demo.build(
        workspace, ghl, conn, calendar_id=calendar["id"], user=owner, name="ttp"
    )
    settings.CELERY_TASK_ALWAYS_EAGER = False
    celery_app.conf.task_always_eager = False
    worker = Worker(
        tmp_path / "worker.log",
        {
            "GHL_RATE_LIMIT_MAX": "100000",
            "SYNC_RETRY_BASE_SECONDS": "0.2",
            "SYNC_RETRY_MAX_SECONDS": "2",
        },
        concurrency=3,
    )
    yield {
        "base": base,
        "paths": paths,
        "ghl": ghl,
        "ttp": conn,
        "owner": owner,
        "calendar": calendar["id"],
        "visits": integration.flows.get(object_type="appointment"),
        "clients": integration.flows.get(object_type="contact"),
    }
    worker.stop()
    celery_app.conf.task_always_eager = True


def finished_batch(batch: ImportBatch) -> ImportBatch:
    return wait_for(
        lambda: ImportBatch.objects.filter(pk=batch.pk, status=ImportBatch.Status.DONE).first(),
        timeout=180,
        interval=0.5,
        what="the import to finish",
    )


def import_csv(world, data: bytes, choices=None) -> ImportBatch:  # type: ignore[no-untyped-def]
    batch = imports.create_batch(
        world["ttp"].workspace,
        world["owner"],
        world["ttp"],
        world["ghl"],
        "client",
        "clients.csv",
        data,
    )
    obj = imports.csv_object(world["ttp"], "client")
    imports.start(batch, choices or cols.suggest(imports.batch_columns(batch), obj))
    return finished_batch(batch)


def settled(flow: Flow, count: int) -> list[Run]:
    runs = Run.objects.filter(flow=flow)
    if runs.count() < count or runs.exclude(status__in=FINISHED).exists():
        return []
    return list(runs)


def utc(value: str) -> str:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def ghl_events(world) -> dict[tuple[str, str], dict]:  # type: ignore[no-untyped-def]
    """Every appointment of the calendar, by (title, start in UTC)."""
    now = datetime.now(UTC).timestamp()
    events = world["ghl"].connector.call(
        "get-calendar-events",
        locationId=world["ghl"].account_id,
        calendarId=world["calendar"],
        startTime=str(int((now - 3 * 86400) * 1000)),
        endTime=str(int((now + 120 * 86400) * 1000)),
    )["events"]
    return {(e["title"], utc(e["startTime"])): e for e in events}


def test_200_visits_become_the_right_appointments_and_a_second_poll_writes_nothing(world):
    base = world["base"]
    clients = requests.get(base + world["paths"]["clients_csv"], timeout=10).content
    batch = import_csv(world, clients)
    assert (batch.created_count, batch.failed_count) == (24, 0)
    contact_of = {row.data["email"]: row.target_id for row in batch.rows.all()}
    name_of = {
        f"{row.data['first_name']} {row.data['last_name']}": row.target_id
        for row in batch.rows.all()
    }

    flow = world["visits"]
    assert polling.poll(flow.pk) == 200
    runs = wait_for(lambda: settled(flow, 200), timeout=240, interval=1, what="200 visit runs")
    failed = [r for r in runs if r.status == RunStatus.FAILED]
    assert len(failed) == 1, [(r.record_label, r.error) for r in failed][:5]
    assert failed[0].error.startswith(
        "no HighLevel contact matches walkin.unknownsworth@pets.example"
    )
    assert sum(r.status == RunStatus.SUCCEEDED for r in runs) == 199

    expected = feed_state(base, expected=True)["expected"]
    events = ghl_events(world)
    assert len(events) == 199
    for visit in expected:
        if visit["client_email"].startswith("walkin"):
            continue
        event = events[(visit["title"], visit["start"])]
        assert utc(event["endTime"]) == visit["end"]
        assert (event["appointmentStatus"] == "cancelled") is visit["cancelled"], visit
        contact = contact_of.get(visit["client_email"]) or name_of[visit["client_name"]]
        assert event["contactId"] == contact, visit
    assert sum(e["appointmentStatus"] == "cancelled" for e in events.values()) == 6

    # Unchanged feed: one 304, no run, nothing written.
    before = feed_state(base)["not_modified"]
    assert polling.poll(flow.pk) == 0
    assert feed_state(base)["not_modified"] == before + 1
    assert Run.objects.filter(flow=flow).count() == 200

    # The business moves a visit, cancels an occurrence and removes another.
    single = "ttp-visit-002-happy-paws@timetopet.sandbox"
    series = "ttp-series-014-happy-paws@timetopet.sandbox"
    ttp(base, "alter", {"uid": single, "action": "move", "minutes": 45})
    ttp(base, "alter", {"uid": series, "action": "cancel", "index": 6})
    ttp(base, "alter", {"uid": series, "action": "exdate", "index": 7})
    assert polling.poll(flow.pk) == 3
    wait_for(lambda: settled(flow, 203), timeout=60, what="the three changes")
    events = ghl_events(world)
    assert len(events) == 199  # moved, not added
    expected = {(v["uid"], v["index"]): v for v in feed_state(base, expected=True)["expected"]}
    moved = expected[(single, 0)]
    assert events[(moved["title"], moved["start"])]["appointmentStatus"] == "confirmed"
    assert (
        events[(expected[(series, 6)]["title"], expected[(series, 6)]["start"])][
            "appointmentStatus"
        ]
        == "cancelled"
    )
    gone = [e for e in events.values() if e["appointmentStatus"] == "cancelled"]
    assert len(gone) == 8  # 6 + the cancelled occurrence + the removed one
    assert polling.poll(flow.pk) == 0
    # The same world (one worker start) serves the inbound URL and a broken feed.
    check_inbound_posts_need_the_secret_and_a_new_client_becomes_a_contact(world)
    check_a_malformed_feed_is_a_clear_error_on_the_poll(world)


def test_a_1000_row_csv_imports_with_a_per_row_report(world):
    url = world["base"] + world["paths"]["clients_csv"] + "?rows=1000"
    data = requests.get(url, timeout=30).content + b"No,Email,,,,,,,,,\n"
    batch = imports.create_batch(
        world["ttp"].workspace,
        world["owner"],
        world["ttp"],
        world["ghl"],
        "client",
        "big.csv",
        data,
    )
    choices = [
        cols.Choice(key, target, transform)
        for key, target, transform in [
            ("first_name", "firstName", ""),
            ("last_name", "lastName", ""),
            ("email", "email", "lower"),
            ("mobile_phone", "phone", "e164"),
        ]
    ]
    imports.start(batch, choices)
    batch = finished_batch(batch)
    assert (batch.total, batch.created_count, batch.failed_count) == (1001, 1000, 1)
    report = list(csv.reader(io.StringIO(imports.report_csv(batch))))
    assert len(report) == 1002 and report[0][:4] == ["line", "result", "message", "highlevel_id"]
    assert {row[1] for row in report[1:-1]} == {"created"} and all(r[3] for r in report[1:-1])
    assert report[-1][:2] == ["1002", "failed"] and "no email or phone" in report[-1][2]
    found = world["ghl"].connector.call("get-duplicate-contact", email="client00999@pets.example")
    assert found["contact"]["id"] == report[999][3]


def check_inbound_posts_need_the_secret_and_a_new_client_becomes_a_contact(world):
    url = world["base"] + world["ttp"].connector.inbound_path
    secret = world["ttp"].credentials["webhook_secret"]
    body = {
        "type": "client.created",
        "id": "evt_client_1",
        "data": {
            "id": "C90001",
            "first_name": "Posted",
            "last_name": "Client",
            "email": "posted.client@pets.example",
        },
    }
    wrong = requests.post(url, json=body, headers={"X-Webhook-Secret": "nope"}, timeout=10)
    assert wrong.status_code == 401
    missing = requests.post(url, json=body, timeout=10)
    assert missing.status_code == 401
    rejected = WebhookEvent.objects.filter(connection=world["ttp"], status="rejected")
    assert rejected.count() == 2 and not Run.objects.filter(flow=world["clients"]).exists()
    right = requests.post(url, json=body, headers={"X-Webhook-Secret": secret}, timeout=10)
    assert right.status_code < 300, right.text
    (run,) = wait_for(lambda: settled(world["clients"], 1), what="the client run")
    assert run.status == RunStatus.SUCCEEDED, run.error
    found = world["ghl"].connector.call("get-duplicate-contact", email="posted.client@pets.example")
    assert found["contact"]["firstName"] == "Posted"


def check_a_malformed_feed_is_a_clear_error_on_the_poll(world):
    ttp(world["base"], "config", {"mode": "malformed"})
    assert polling.poll(world["visits"].pk) == 0
    cursor = PollCursor.objects.get(flow=world["visits"])
    assert "sent a malformed iCalendar file" in cursor.last_error
    assert Run.objects.filter(flow=world["visits"]).count() == 203  # nothing new
