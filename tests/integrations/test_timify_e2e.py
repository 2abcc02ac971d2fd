"""GHL ↔ TIMIFY end to end: the seeded demo integration (the wizard's TIMIFY templates,
published) against both sandboxes over real HTTP. TIMIFY posts unsigned webhooks with
X-Webhook-Secret to the connection's inbound URL, GHL signs its own, a real Celery worker
(Redis broker in CI) runs every run."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import pytest
import requests
from django.core.management import call_command

from config.celery import app as celery_app
from integrations.models import Integration, Run, RunStatus, WebhookEvent
from integrations.wizard import publish, starter, timify_demo
from integrations.wizard import timify as timify_templates
from tests.connectors.conftest import pit_connection
from tests.connectors.test_timify_fixtures import (
    APP_ID,
    APP_SECRET,
    COMPANY_ID,
    WEBHOOK_SECRET,
    control,
    timify_connection,
)
from tests.workers import Worker, broker_available, wait_for

pytestmark = pytest.mark.django_db(transaction=True)
SCOPES = (
    "contacts.readonly contacts.write locations.readonly calendars.readonly "
    "calendars/events.readonly calendars/events.write"
)
FINISHED = [RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.SKIPPED]


class Timify:
    """TIMIFY's API, as a person's script (or TIMIFY's own screens) would change it."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.login()
        fields = self.send("GET", "/v1/customers/customfields")["data"]
        self.fields = {f["defaultId"] or f["label"]: f["id"] for f in fields}

    def login(self) -> None:
        token = requests.post(
            self.base + "/v1/auth/token",
            json={"appid": APP_ID, "appsecret": APP_SECRET},
            timeout=10,
        ).json()["accessToken"]
        self.headers = {"Authorization": f"Bearer {token}", "company-id": COMPANY_ID}

    def send(self, method: str, path: str, body: dict | None = None, **query):  # type: ignore[no-untyped-def]
        answer = requests.request(
            method, self.base + path, json=body, params=query, headers=self.headers, timeout=10
        )
        assert answer.status_code < 300, answer.text
        return answer.json()

    def customer(self, **values: str) -> dict:
        entries = [{"id": self.fields[k], "value": v} for k, v in values.items()]
        return self.send("POST", "/v1/customers", {"customfields": entries})["data"]

    def customer_by_email(self, email: str) -> dict | None:
        rows = self.send("GET", "/v1/customers")["data"]
        return next((c for c in rows if c["email"] == email), None)


@pytest.fixture
def world(ghl_sandbox, workspace, settings, tmp_path):
    broker_available()
    settings.CELERY_TASK_ALWAYS_EAGER = False
    celery_app.conf.task_always_eager = False
    site = ghl_sandbox.url
    base = site + "/sandbox/timify"
    control(base, "reset")
    control(base, "config", {"error_rate": 0, "rate_429": 0, "slow_rate": 0})
    ghl = pit_connection(workspace, scopes=SCOPES)
    app = timify_connection(workspace, base)
    calendar = starter.ghl_calendar(ghl)
    integration = timify_demo.build(workspace, ghl, app, calendar_id=calendar, name="timify")
    call_command("sandbox_subscribe", site + "/webhooks/ghl/", "--exclusive", verbosity=0)
    inbound = site + app.connector.inbound_path
    call_command("sandbox_timify_subscribe", inbound, "--secret", WEBHOOK_SECRET, verbosity=0)
    worker = Worker(
        tmp_path / "worker.log", {"SYNC_RETRY_BASE_SECONDS": "0.2", "SYNC_RETRY_MAX_SECONDS": "2"}
    )
    yield {
        "ghl": ghl,
        "app": app,
        "timify": Timify(base),
        "base": base,
        "inbound": inbound,
        "integration": integration,
        "calendar": calendar,
    }
    worker.stop()
    celery_app.conf.task_always_eager = True


def settled(**filters) -> list[Run]:  # type: ignore[no-untyped-def]
    runs = Run.objects.filter(**filters)
    if not runs.exists() or runs.exclude(status__in=FINISHED).exists():
        return []
    return list(runs.order_by("pk"))


def publish_alone(world, build, name: str) -> None:  # type: ignore[no-untyped-def]
    """One more template, published as its own integration (links are shared)."""
    ghl, app = world["ghl"], world["app"]
    integration = Integration.objects.create(workspace=app.workspace, name=name, version=0)
    flows = build(ghl, app)
    for n, flow in enumerate(flows, 1):
        flow["key"] = f"x{n}"
    draft = {"a": str(ghl.code), "b": str(app.code), "a_kind": "ghl", "b_kind": "timify"}
    publish.publish(integration, {**draft, "flows": flows}, None)


def ghl_contact(ghl, email: str) -> dict | None:  # type: ignore[no-untyped-def]
    found = ghl.connector.call("get-duplicate-contact", email=email)
    return (found or {}).get("contact")


def test_customers_flow_both_ways_and_one_without_email_fails_clearly(world):
    ghl, timify = world["ghl"], world["timify"]
    created = timify.customer(firstName="Nora", lastName="Quinn", email="nora.e2e@example.com")
    contact = wait_for(
        lambda: ghl_contact(ghl, "nora.e2e@example.com"), what="the TIMIFY customer in GHL"
    )
    assert (contact["firstName"], contact["lastName"]) == ("Nora", "Quinn")

    # A change made in GHL reaches the linked TIMIFY customer (by its id, no duplicate),
    # though TIMIFY expired our token meanwhile: the worker mints a new one, once.
    control(world["base"], "expire-tokens")
    timify.login()  # our script's own token expired too
    ghl.connector.call("update-contact", contactId=contact["id"], body={"lastName": "Quist"})
    wait_for(
        lambda: timify.customer_by_email("nora.e2e@example.com")["lastName"] == "Quist",
        what="the GHL change in TIMIFY",
    )
    assert [c["id"] for c in timify.send("GET", "/v1/customers")["data"]].count(created["id"]) == 1
    calls = [
        (step.response_status, step.url.rpartition("/v1/")[2].partition("?")[0])
        for run in wait_for(
            lambda: settled(event_type="ContactUpdate", record_id=contact["id"]),
            what="GHL's update runs",
        )
        for step in run.steps.order_by("pk")
    ]
    # One 401, one new token, the same call again; never a second token.
    assert calls.count((200, "auth/token")) == 1, calls
    at = calls.index((200, "auth/token"))
    assert calls[at - 1][0] == 401 and calls[at + 1] == (200, calls[at - 1][1]), calls
    # TIMIFY's customer.updated about our own write comes back: an echo, nothing written.
    echoes = wait_for(
        lambda: settled(event_type="customer.updated", record_id=created["id"]),
        what="TIMIFY's echo",
    )
    assert echoes[-1].status == RunStatus.SKIPPED

    # TIMIFY has no notes: the template that carries a GHL note into the customer's Notes
    # field (published as its own integration) writes it there.
    publish_alone(world, timify_templates.ghl_notes_to_customer_field, "notes into a field")
    ghl.connector.call("create-note", contactId=contact["id"], body={"body": "Prefers Anna"})

    def notes_field() -> str:
        customer = timify.customer_by_email("nora.e2e@example.com") or {}
        fields = {f["label"]: f["value"] for f in customer.get("customfields", [])}
        return fields.get("Notes", "")

    wait_for(lambda: notes_field() == "Prefers Anna", what="the GHL note in the Notes field")

    # A customer without email cannot be upserted by email: the run fails and says so,
    # and the event and its record are kept for a retry.
    nameless = timify.customer(firstName="NoMail")
    (run,) = wait_for(
        lambda: settled(event_type="customer.created", record_id=nameless["id"]),
        what="the run of the customer without email",
    )
    assert run.status == RunStatus.FAILED
    assert "email" in run.error and run.payload["firstName"] == "NoMail"
    assert run.webhook_event.status == "processed"


def test_an_appointment_reaches_ghl_on_the_linked_contact_with_task_note_and_tag(world):
    ghl, timify = world["ghl"], world["timify"]
    publish_alone(world, timify_templates.ghl_appointments_to_timify, "GHL bookings to TIMIFY")
    customer = timify.customer(firstName="Otto", email="otto.e2e@example.com")
    start = (datetime.now(UTC) + timedelta(days=3)).strftime("%Y-%m-%d 10:30")
    booked = timify.send(
        "POST",
        "/v1/appointments",
        {
            "title": "Massage",
            "start_datetime": start,
            "duration": 45,
            "resource_ids": ["res_anna"],
            "customer_id": customer["id"],
            "notes": "Allergic to lavender",
        },
    )["data"]
    contact = wait_for(lambda: ghl_contact(ghl, "otto.e2e@example.com"), what="Otto in GHL")

    def ghl_appointments() -> list[dict]:
        data = ghl.connector.call("get-appointments-for-contact", contactId=contact["id"])
        return data.get("events") or []

    (event,) = wait_for(ghl_appointments, what="the TIMIFY appointment in GHL")
    assert event["title"] == "Massage"
    assert event["startTime"].replace("T", " ").startswith(start)
    # Moved in TIMIFY (its own screen) → TIMIFY's event.updated → the same GHL event moved.
    moved = (datetime.now(UTC) + timedelta(days=5)).strftime("%Y-%m-%d 11:00")
    screen = requests.Session()
    page = world["base"] + f"/_ui/appointments/{booked['id']}/"
    assert screen.get(page, timeout=10).status_code == 200
    answer = screen.post(
        page,
        data={
            "csrfmiddlewaretoken": screen.cookies["csrftoken"],
            "title": "Massage",
            "start": moved,
            "duration": 45,
            "customer": customer["id"],
            "notes": "Allergic to lavender",
        },
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 302, answer.text[:500]
    (event,) = wait_for(
        lambda: [
            e for e in ghl_appointments() if e["startTime"].replace("T", " ").startswith(moved)
        ],
        what="the GHL appointment moved",
    )
    assert len(ghl_appointments()) == 1
    tasks = wait_for(
        lambda: ghl.connector.call("get-all-tasks", contactId=contact["id"])["tasks"],
        what="the follow-up task",
    )
    assert [t["title"] for t in tasks] == ["Follow up after appointment"]
    notes = wait_for(
        lambda: ghl.connector.call("get-all-notes", contactId=contact["id"])["notes"],
        what="the appointment's notes as a GHL note",
    )
    assert "Allergic to lavender" in notes[0]["body"]
    wait_for(
        lambda: (
            "timify-booked"
            in ghl.connector.call("get-contact", contactId=contact["id"])["contact"].get("tags", [])
        ),
        what="the booked tag",
    )

    # A new GHL appointment on the contact is booked in TIMIFY, once; the
    # GHL event about the appointment we made from TIMIFY books nothing.
    later = (datetime.now(UTC) + timedelta(days=4)).replace(hour=15, minute=0, second=0)
    ghl.connector.call(
        "create-appointment",
        body={
            "calendarId": world["calendar"],
            "locationId": ghl.account_id,
            "contactId": contact["id"],
            "startTime": later.isoformat(),
            "endTime": (later + timedelta(minutes=30)).isoformat(),
            "title": "Sauna",
        },
    )

    def timify_bookings() -> list[dict]:
        today = datetime.now(UTC).date()
        rows = timify.send(
            "GET",
            "/v1/appointments",
            from_date=str(today),
            to_date=str(today + timedelta(days=30)),
        )["data"]
        return [a for a in rows if a["customerId"] == customer["id"]]

    sauna = wait_for(
        lambda: [a for a in timify_bookings() if a["title"] == "Sauna"],
        what="the GHL booking in TIMIFY",
    )
    # (GHL's AppointmentCreate carries `notes`, which the GHL sandbox never fills.)
    assert sauna[0]["startDate"].endswith("15:00") and sauna[0]["duration"] == 30
    runs = wait_for(
        lambda: settled(event_type="AppointmentCreate", flow__name__startswith="New HighLevel"),
        what="GHL's appointment runs",
    )
    assert sorted((r.record_label, r.status) for r in runs) == [
        ("Massage", RunStatus.SKIPPED),  # our own booking coming back: an echo
        ("Sauna", RunStatus.SUCCEEDED),
    ]
    assert sorted(a["title"] for a in timify_bookings()) == ["Massage", "Sauna"]
    # One booked in GHL at 16:07: TIMIFY takes 5-minute steps only, so that run fails,
    # saying why, and keeps the event for a retry; nothing is booked half-way.
    odd = later.replace(hour=16, minute=7)
    ghl.connector.call(
        "create-appointment",
        body={
            "calendarId": world["calendar"],
            "locationId": ghl.account_id,
            "contactId": contact["id"],
            "startTime": odd.isoformat(),
            "endTime": (odd + timedelta(minutes=30)).isoformat(),
            "title": "Odd minute",
        },
    )
    (run,) = wait_for(
        lambda: [
            r
            for r in settled(event_type="AppointmentCreate", flow__name__startswith="New HighLevel")
            if r.record_label == "Odd minute"
        ],
        what="the 16:07 run",
    )
    assert run.status == RunStatus.FAILED and run.error_kind == "validation", run.error
    assert "minutes must be divisible by 5" in run.error, run.error
    assert run.payload["title"] == "Odd minute" and run.webhook_event.status == "processed"
    assert sorted(a["title"] for a in timify_bookings()) == ["Massage", "Sauna"]

    # Cancelled in TIMIFY (deleted): the GHL appointment is cancelled, the tag removed.
    timify.send("POST", "/v1/appointments/delete/bulk", {"ids": [booked["id"]]})
    wait_for(
        lambda: (
            ghl.connector.call("get-appointment", eventId=event["id"])["event"].get(
                "appointmentStatus"
            )
            == "cancelled"
        ),
        what="the GHL appointment cancelled",
    )

    def tags() -> list[str]:
        return ghl.connector.call("get-contact", contactId=contact["id"])["contact"].get("tags", [])

    wait_for(lambda: "timify-booked" not in tags(), what="the tag removed")
    assert [e["title"] for e in ghl_appointments()].count("Massage") == 1


def test_a_webhook_with_a_wrong_secret_is_refused_and_stored_as_rejected(live_server, workspace):
    base = live_server.url + "/sandbox/timify"
    control(base, "reset")
    app = timify_connection(workspace, base)
    url = live_server.url + app.connector.inbound_path
    body = {"id": "d-forged", "type": "customer.created", "data": {"id": "c1"}}
    wrong = requests.post(url, json=body, headers={"X-Webhook-Secret": "guess"}, timeout=10)
    assert wrong.status_code == 401
    missing = requests.post(url, json={**body, "id": "d-2"}, timeout=10)
    assert missing.status_code == 401
    rows = list(WebhookEvent.objects.filter(connection=app).order_by("pk"))
    assert [(r.status, r.source_kind) for r in rows] == [("rejected", "timify")] * 2
    good = requests.post(url, json=body, headers={"X-Webhook-Secret": WEBHOOK_SECRET}, timeout=10)
    assert good.status_code == 200
    again = requests.post(url, json=body, headers={"X-Webhook-Secret": WEBHOOK_SECRET}, timeout=10)
    assert again.status_code == 200
    kept = WebhookEvent.objects.filter(connection=app, event_type="customer.created")
    assert sorted(kept.values_list("status", flat=True)) == [
        "duplicate",
        "received",  # no flow listens here: kept as received
        "rejected",
        "rejected",
    ]


def test_demo_info_shows_the_timify_sandbox(ghl_sandbox, settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())
    out = io.StringIO()
    call_command("demo_info", stdout=out)
    info = json.loads(out.getvalue())["sandboxes"]["timify"]
    assert (info["app_id"], info["app_secret"], info["company_id"]) == (
        APP_ID,
        APP_SECRET,
        COMPANY_ID,
    )
    assert "/webhooks/in/" in info["inbound_url"] and info["webhook_secret"]
