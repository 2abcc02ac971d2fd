"""PT Distinction ↔ GHL end to end, over real HTTP, with a real Celery worker.

The sandbox plays the operator's Zapier account: its Zaps post PT Distinction's triggers
to the connection's inbound URL with X-Webhook-Secret, and its Catch Hook records what
Syncdeck sends for "Add Client". The integration is the seeded demo's (the wizard's three
templates, published).
"""

from __future__ import annotations

import pytest
import requests
from django.core.management import call_command

from config.celery import app as celery_app
from integrations.models import (
    RecordLink,
    Run,
    RunStatus,
    WebhookEvent,
    WebhookStatus,
)
from integrations.wizard import ptdistinction_demo
from tests.connectors.conftest import pit_connection
from tests.workers import Worker, broker_available, wait_for

pytestmark = pytest.mark.django_db(transaction=True)
SCOPES = "contacts.readonly contacts.write locations.readonly"
FINISHED = [RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.SKIPPED]


class Zapier:
    """The sandbox's stand-in for the operator's Zaps."""

    def __init__(self, base: str) -> None:
        self.base = base + "/sandbox/ptdistinction/_control"

    def send(self, trigger: str, **fields: str) -> dict:
        answer = requests.post(
            self.base + "/send", json={"trigger": trigger, "fields": fields}, timeout=30
        )
        assert answer.status_code == 200, answer.text
        return answer.json()

    def send_raw(self, raw: str) -> dict:
        answer = requests.post(self.base + "/send", json={"raw": raw}, timeout=30)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def configure(self, **values: str) -> None:
        answer = requests.post(self.base + "/config", json=values, timeout=10)
        assert answer.status_code == 200, answer.text

    def caught(self, email: str) -> list[dict]:
        rows = requests.get(self.base + "/caught", timeout=10).json()["caught"]
        return [r for r in rows if (r["data"] or {}).get("email") == email]


@pytest.fixture
def ptd_world(ghl_sandbox, workspace):
    base = ghl_sandbox.url
    requests.post(base + "/sandbox/ptdistinction/_control/reset", timeout=10)
    ghl = pit_connection(workspace, scopes=SCOPES)
    ptd = ptdistinction_demo.connection(workspace, base)
    integration = ptdistinction_demo.build(workspace, ghl, ptd)
    inbound = base + ptd.connector.inbound_path
    call_command(
        "sandbox_ptdistinction_target",
        inbound,
        "--secret",
        ptdistinction_demo.WEBHOOK_SECRET,
        verbosity=0,
    )
    return {
        "base": base,
        "ghl": ghl,
        "ptd": ptd,
        "zapier": Zapier(base),
        "inbound": inbound,
        "integration": integration,
    }


@pytest.fixture
def world(ptd_world, settings, tmp_path):
    broker_available()
    settings.CELERY_TASK_ALWAYS_EAGER = False
    celery_app.conf.task_always_eager = False
    call_command(
        "sandbox_subscribe", ptd_world["base"] + "/webhooks/ghl/", "--exclusive", verbosity=0
    )
    worker = Worker(
        tmp_path / "worker.log", {"SYNC_RETRY_BASE_SECONDS": "0.2", "SYNC_RETRY_MAX_SECONDS": "2"}
    )
    yield ptd_world
    worker.stop()
    celery_app.conf.task_always_eager = True


def ghl_contact(world, email: str) -> dict | None:  # type: ignore[no-untyped-def]
    ghl = world["ghl"]
    found = ghl.connector.call("get-duplicate-contact", locationId=ghl.account_id, email=email)
    return (found or {}).get("contact")


def settled(**filters) -> list[Run]:  # type: ignore[no-untyped-def]
    runs = Run.objects.filter(**filters)
    if not runs.exists() or runs.exclude(status__in=FINISHED).exists():
        return []
    return list(runs.order_by("pk"))


def test_deliveries_become_a_contact_then_a_group_tag(world):
    zapier = world["zapier"]
    sent = zapier.send(
        "client_added", email="Ada.PTD@example.com", first_name="Ada", last_name="Lovelace"
    )
    assert sent["status_code"] == 200

    contact = wait_for(lambda: ghl_contact(world, "ada.ptd@example.com"), what="the contact")
    assert (contact["firstName"], contact["lastName"]) == ("Ada", "Lovelace")
    event = WebhookEvent.objects.get(connection=world["ptd"], event_type="client_added")
    assert event.status == WebhookStatus.PROCESSED
    (run,) = wait_for(lambda: settled(event_type="client_added"), what="the client run")
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.record_id == "ada.ptd@example.com"
    link = RecordLink.objects.get(object_type="contact", right_record=contact["id"])
    assert link.left_record == "ada.ptd@example.com"

    zapier.send("client_added_to_group", email="ada.ptd@example.com", group="Beginners")
    tagged = wait_for(
        lambda: (ghl_contact(world, "ada.ptd@example.com") or {}).get("tags"), what="the tag"
    )
    assert "ptd group: beginners" in [t.lower() for t in tagged]
    (group_run,) = wait_for(lambda: settled(event_type="client_added_to_group"), what="tag run")
    assert group_run.status == RunStatus.SUCCEEDED, group_run.error
    assert group_run.steps.filter(operation="add-tags", response_status__lt=300).exists()
    # Same person, same GHL contact: no second contact was made.
    assert ghl_contact(world, "ada.ptd@example.com")["id"] == contact["id"]

    zapier.send("package_signup", email="ada.ptd@example.com", package="12 Week Shred")
    wait_for(
        lambda: (
            "ptd package: 12 week shred"
            in [
                t.lower() for t in (ghl_contact(world, "ada.ptd@example.com") or {}).get("tags", [])
            ]
        ),
        what="the package tag",
    )
    # Our own upsert came back from GHL as ContactCreate/ContactTagUpdate: never an
    # Add Client for a client PT Distinction just told us about.
    wait_for(lambda: settled(flow__name__contains="Add Client"), what="the echo runs")
    assert zapier.caught("ada.ptd@example.com") == []


def test_a_ghl_contact_tagged_pt_distinction_is_sent_to_add_client(world):
    ghl, zapier = world["ghl"], world["zapier"]
    # Created without the tag: not a PT Distinction client (the run is skipped).
    contact = ghl.connector.call(
        "create-contact",
        body={
            "locationId": ghl.account_id,
            "firstName": "Hedy",
            "lastName": "Lamarr",
            "email": "Hedy.PTD@example.com",
        },
    )["contact"]
    (skipped,) = wait_for(lambda: settled(event_type="ContactCreate"), what="the created run")
    assert skipped.status == RunStatus.SKIPPED
    assert "condition" in "\n".join(skipped.events.values_list("message", flat=True))

    # Tagged in HighLevel: added in PT Distinction through the Catch Hook.
    ghl.connector.call("add-tags", contactId=contact["id"], body={"tags": ["PT-Distinction"]})
    (caught,) = wait_for(lambda: zapier.caught("hedy.ptd@example.com"), what="Add Client")
    assert caught["data"] == {
        "email": "hedy.ptd@example.com",
        "first_name": "Hedy",
        "last_name": "Lamarr",
        "gender": "",
        "send_login_details": "no",
    }
    (run,) = wait_for(lambda: settled(event_type="ContactTagUpdate"), what="the Add Client run")
    assert run.status == RunStatus.SUCCEEDED, run.error
    step = run.steps.get(operation="client.add")
    assert step.response_status == 200
    # The Catch Hook URL is a capability: its path never reaches a run step.
    assert "addclient" not in step.url and "1234567" not in step.url
    link = RecordLink.objects.get(object_type="contact", left_record=contact["id"])
    assert link.right_record == "hedy.ptd@example.com"


def test_a_wrong_or_missing_secret_is_refused_and_stored_as_rejected(ptd_world):
    zapier = ptd_world["zapier"]
    zapier.configure(webhook_secret="not-the-secret")
    assert (
        zapier.send("client_added", email="eve@example.com", first_name="Eve")["status_code"] == 401
    )
    zapier.configure(webhook_secret="")
    assert zapier.send("client_added", email="eve2@example.com")["status_code"] == 401
    rejected = WebhookEvent.objects.filter(connection=ptd_world["ptd"]).order_by("pk")
    assert [e.status for e in rejected] == [WebhookStatus.REJECTED, WebhookStatus.REJECTED]
    assert [e.note for e in rejected] == ["wrong X-Webhook-Secret", "no X-Webhook-Secret header"]
    assert not Run.objects.exists()


def test_a_malformed_delivery_is_a_clear_error_and_nothing_is_lost(ptd_world):
    zapier = ptd_world["zapier"]
    # Not JSON: refused with 400, kept as a rejected row with the reason.
    assert zapier.send_raw("email=ada@example.com&first_name=Ada")["status_code"] == 400
    bad = WebhookEvent.objects.get(connection=ptd_world["ptd"])
    assert bad.status == WebhookStatus.REJECTED and "not usable JSON" in bad.note
    assert bad.raw_body.startswith("email=ada@example.com")

    # JSON without an email: stored and run (eagerly here), and the run says what is missing.
    assert zapier.send("client_added", first_name="Nameless")["status_code"] == 200
    event = WebhookEvent.objects.exclude(pk=bad.pk).get()
    assert event.status == WebhookStatus.PROCESSED
    run = Run.objects.get(webhook_event=event)
    assert run.status == RunStatus.FAILED
    assert "email" in run.error and "required" in run.error
