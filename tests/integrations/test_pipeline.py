"""The whole pipeline with real processes: a contact edited in the GHL sandbox → signed
webhook → our receiver → Run → a real Celery worker (Redis broker in CI) → Your App.

Everything outside HTTP is real here: the live server serves both sandboxes and our
receiver, the worker is a separate process on the configured broker and database.
"""

from __future__ import annotations

import base64
import time
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from django.core.management import call_command

from config.celery import app as celery_app
from integrations import demo
from integrations.models import RecordLink, Run, RunStatus, WebhookEvent
from integrations.sync import reaper
from integrations.tasks import _enqueue
from tests.connectors.conftest import pit_connection
from tests.workers import Worker, broker_available, wait_for

pytestmark = pytest.mark.django_db(transaction=True)
KEYS = Path(__file__).resolve().parents[2] / "sandbox" / "keys"


@pytest.fixture
def pipeline(ghl_sandbox, workspace, settings, tmp_path):
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
    ghl = pit_connection(workspace)
    yourapp = demo.yourapp_connection(workspace, base)
    integration = demo.build_ghl_to_yourapp(workspace, ghl, yourapp, with_polling=False)
    call_command("sandbox_subscribe", base + "/webhooks/ghl/", "--exclusive", verbosity=0)
    workers: list[Worker] = []

    def start_worker(**env: str) -> Worker:
        worker = Worker(
            tmp_path / f"worker{len(workers)}.log",
            {"SYNC_RETRY_BASE_SECONDS": "0.2", "SYNC_RETRY_MAX_SECONDS": "2", **env},
        )
        workers.append(worker)
        return worker

    yield {
        "base": base,
        "ghl": ghl,
        "yourapp": yourapp,
        "integration": integration,
        "start_worker": start_worker,
    }
    for worker in workers:
        worker.stop()
    celery_app.conf.task_always_eager = True


def yourapp_contacts(base: str, **query) -> list[dict]:
    answer = requests.get(
        base + "/sandbox/yourapp/api/contacts",
        params={"per_page": 200, **query},
        headers={"Authorization": f"Bearer {demo.YOURAPP_API_KEY}"},
        timeout=10,
    )
    return answer.json()["data"]


def some_contacts(ghl, n: int) -> list[dict]:
    return ghl.connector.call("search-contacts-advanced", body={"pageLimit": n})["contacts"]


def finished(runs) -> bool:
    return (
        runs.exists()
        and not runs.exclude(
            status__in=[RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.SKIPPED]
        ).exists()
    )


def test_edit_in_ghl_reaches_yourapp(pipeline):
    pipeline["start_worker"]()
    contact = some_contacts(pipeline["ghl"], 1)[0]
    pipeline["ghl"].connector.call(
        "update-contact", contactId=contact["id"], body={"lastName": "Hopper"}
    )
    found = wait_for(
        lambda: [
            c
            for c in yourapp_contacts(pipeline["base"], email=contact["email"])
            if c["last_name"] == "Hopper"
        ],
        what="the edited contact in Your App",
    )
    assert found[0]["first_name"] == contact["firstName"]
    run = Run.objects.get(event_type="ContactUpdate", record_id=contact["id"])
    wait_for(lambda: Run.objects.get(pk=run.pk).status == RunStatus.SUCCEEDED, what="run end")
    assert RecordLink.objects.filter(left_record=contact["id"]).count() == 1

    # GHL redelivers the same event (same webhookId): stored as duplicate, no new run.
    event = WebhookEvent.objects.get(runs=run)
    body = event.raw_body.encode()
    key = serialization.load_pem_private_key((KEYS / "rsa-private.pem").read_bytes(), None)
    signature = base64.b64encode(key.sign(body, padding.PKCS1v15(), hashes.SHA256())).decode()
    answer = requests.post(
        pipeline["base"] + "/webhooks/ghl/",
        data=body,
        headers={"Content-Type": "application/json", "x-wh-signature": signature},
        timeout=10,
    )
    assert answer.status_code == 200 and answer.json()["status"] == "duplicate"
    time.sleep(1)
    assert Run.objects.filter(record_id=contact["id"]).count() == 1
    assert len(yourapp_contacts(pipeline["base"], email=contact["email"])) == 1


def test_faults_at_30_percent_still_deliver_each_event_exactly_once(pipeline):
    base = pipeline["base"]
    contacts = some_contacts(pipeline["ghl"], 12)
    requests.post(
        base + "/sandbox/yourapp/_control/config",
        json={"error_rate": 0.2, "rate_429": 0.1},
        timeout=10,
    )
    # Each attempt makes two calls (find by email, then write), so at 30 % faults an attempt
    # fails about half the time: 6 attempts would lose ~2 % of events. Give it room.
    from integrations.models import Flow

    Flow.objects.filter(integration=pipeline["integration"]).update(max_attempts=25)
    pipeline["start_worker"](BREAKER_THRESHOLD="1000")
    for n, contact in enumerate(contacts):
        pipeline["ghl"].connector.call(
            "update-contact", contactId=contact["id"], body={"lastName": f"Fault{n}"}
        )
    runs = Run.objects.filter(event_type="ContactUpdate")
    wait_for(lambda: runs.count() == len(contacts), what="one run per event")
    wait_for(lambda: finished(runs), timeout=90, what="all runs to finish")
    requests.post(
        base + "/sandbox/yourapp/_control/config", json={"error_rate": 0, "rate_429": 0}, timeout=10
    )
    failed = [(r.attempt, r.error_kind, r.error) for r in runs.exclude(status=RunStatus.SUCCEEDED)]
    assert not failed, failed
    assert runs.filter(attempt__gt=1).exists(), "30 % faults and not a single retry?"
    stored = {c["email"]: c for c in yourapp_contacts(base)}
    for n, contact in enumerate(contacts):
        assert stored[contact["email"].lower()]["last_name"] == f"Fault{n}"
    assert len(stored) == len(contacts)
    stats = requests.get(base + "/sandbox/yourapp/_control/stats", timeout=10).json()
    assert stats["writes"] == len(contacts)  # exactly one successful write per event


def test_a_killed_worker_is_finished_by_the_reaper(pipeline, settings):
    base = pipeline["base"]
    requests.post(
        base + "/sandbox/yourapp/_control/config",
        json={"slow_rate": 1.0, "slow_ms": 4000},
        timeout=10,
    )
    first = pipeline["start_worker"](RUN_LEASE_SECONDS="2")
    contact = some_contacts(pipeline["ghl"], 1)[0]
    pipeline["ghl"].connector.call(
        "update-contact", contactId=contact["id"], body={"lastName": "Survivor"}
    )
    run = wait_for(
        lambda: Run.objects.filter(record_id=contact["id"], status=RunStatus.RUNNING).first(),
        what="the run to start",
    )
    time.sleep(0.5)
    first.kill()
    requests.post(base + "/sandbox/yourapp/_control/config", json={"slow_rate": 0}, timeout=10)
    assert Run.objects.get(pk=run.pk).status == RunStatus.RUNNING  # orphaned
    pipeline["start_worker"]()
    settings.REAPER_GRACE_SECONDS = 0
    wait_for(lambda: reaper.reap(_enqueue), timeout=15, what="the lease to expire")
    wait_for(
        lambda: Run.objects.get(pk=run.pk).status == RunStatus.SUCCEEDED,
        timeout=30,
        what="the reaped run to succeed",
    )
    run.refresh_from_db()
    assert run.attempt >= 2
    assert "stopped before finishing" in " ".join(e.message for e in run.events.all())
    matches = yourapp_contacts(base, email=contact["email"])
    assert len(matches) == 1 and matches[0]["last_name"] == "Survivor"


def test_two_way_sync_suppresses_echoes(pipeline):
    from integrations.models import Flow, Step, TriggerKind

    base, ghl, yourapp = pipeline["base"], pipeline["ghl"], pipeline["yourapp"]
    back = Flow.objects.create(
        integration=pipeline["integration"],
        name="Your App → HighLevel",
        source=yourapp,
        trigger_kind=TriggerKind.WEBHOOK,
        trigger_config={"events": ["contact.created", "contact.updated"]},
    )
    Step.objects.create(
        flow=back,
        key="push",
        connection=ghl,
        operation="upsert-contact",
        update_operation="update-contact",
        record_mode=Step.RecordMode.SYNC,
        result_id_path="contact.id",
        target_id_param="contactId",
        mapping=demo.YOURAPP_TO_GHL,
    )
    inbound = f"{base}/webhooks/in/{yourapp.inbound_token}/"
    requests.post(
        base + "/sandbox/yourapp/_control/config", json={"subscribers": [inbound]}, timeout=10
    )
    pipeline["start_worker"]()

    # A change in GHL goes to Your App; Your App's own webhook about our write is an echo.
    contact = some_contacts(ghl, 1)[0]
    ghl.connector.call("update-contact", contactId=contact["id"], body={"lastName": "Echo"})
    echo = wait_for(
        lambda: Run.objects.filter(
            flow=back, status__in=["skipped", "succeeded", "failed"]
        ).first(),
        what="Your App's webhook about our write",
    )
    assert echo.status == RunStatus.SKIPPED, [e.message for e in echo.events.all()]
    assert "echo" in " ".join(e.message for e in echo.events.all())
    assert echo.steps.count() == 0

    # A change in Your App goes to GHL; GHL's webhook about our write is an echo too.
    target = yourapp_contacts(base, email=contact["email"])[0]
    requests.patch(
        f"{base}/sandbox/yourapp/api/contacts/{target['id']}",
        json={"last_name": "FromYourApp"},
        headers={"Authorization": f"Bearer {demo.YOURAPP_API_KEY}"},
        timeout=10,
    )
    wait_for(
        lambda: (
            ghl.connector.call("get-contact", contactId=contact["id"])["contact"]["lastName"]
            == "FromYourApp"
        ),
        what="the Your App change in GHL",
    )
    forward = Run.objects.filter(flow__source=ghl, record_id=contact["id"])
    wait_for(lambda: forward.count() == 2 and finished(forward), what="GHL's echo run")
    last = forward.order_by("-created").first()
    assert last.status == RunStatus.SKIPPED
    assert "echo" in " ".join(e.message for e in last.events.all())
    time.sleep(2)  # and nothing ping-pongs afterwards
    assert forward.count() == 2
    assert Run.objects.filter(flow=back).count() == 2
