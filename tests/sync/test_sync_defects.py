"""Defects of the contact sync found by trying it as a new user (issue #7): duplicate
emails, a create and an update racing, the polled operation, paging through every record
in workers, and the dry run against a linked HighLevel record. Over real HTTP against both
sandboxes."""

from __future__ import annotations

import contextlib
import threading

import pytest
import requests
from django.db import connection as db_connection

from config.celery import app as celery_app
from integrations import demo, lifecycle, tasks
from integrations.connectors import http
from integrations.connectors.base import ConnectorError
from integrations.models import (
    Backfill,
    Flow,
    Integration,
    IntegrationStatus,
    RecordLink,
    Run,
    RunStatus,
    TriggerKind,
)
from integrations.sync import dispatch, engine, polling
from integrations.wizard.dryrun import dry_run
from sandbox.models import SandboxContact
from tests.connectors.conftest import pit_connection
from tests.workers import Worker, broker_available, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def setup(ghl_sandbox, workspace):
    base = ghl_sandbox.url
    requests.post(base + "/sandbox/yourapp/_control/reset", timeout=10)
    ghl = pit_connection(workspace)
    yourapp = demo.yourapp_connection(workspace, base)
    integration = demo.build_ghl_to_yourapp(workspace, ghl, yourapp, with_polling=False)
    flow = integration.flows.get(name__startswith="New or updated")
    return {"base": base, "ghl": ghl, "yourapp": yourapp, "flow": flow}


def yourapp_contacts(base: str, **query) -> list[dict]:
    answer = requests.get(
        base + "/sandbox/yourapp/api/contacts",
        params={"per_page": 200, **query},
        headers={"Authorization": f"Bearer {demo.YOURAPP_API_KEY}"},
        timeout=10,
    )
    return answer.json()["data"]


def ghl_contacts(ghl, n: int) -> list[dict]:
    return ghl.connector.call("search-contacts-advanced", body={"pageLimit": n})["contacts"]


def webhook_run(flow: Flow, record: dict, event: str) -> Run:
    return dispatch.create_run(flow, record, trigger="webhook", event_type=event)


# --- 1. two contacts with one email -------------------------------------------------------


def test_a_second_contact_with_the_same_email_fails_clearly(setup):
    flow, ghl = setup["flow"], setup["ghl"]
    first, second = ghl_contacts(ghl, 2)
    SandboxContact.objects.filter(pk=second["id"]).update(email=first["email"])
    second = ghl.connector.call("get-contact", contactId=second["id"])["contact"]

    ok = webhook_run(flow, first, "ContactUpdate")
    ok.refresh_from_db()
    assert ok.status == RunStatus.SUCCEEDED, ok.error
    target = RecordLink.objects.get(left_record=first["id"]).right_record

    dup = webhook_run(flow, second, "ContactUpdate")  # runs eagerly in tests
    dup.refresh_from_db()
    assert dup.status == RunStatus.FAILED
    assert dup.error_kind == "validation"
    assert "Internal error" not in dup.error
    assert target in dup.error and first["id"] in dup.error and second["id"] in dup.error
    assert "same email" in dup.error
    # Nothing was overwritten: Your App's contact still holds the first one's data.
    stored = yourapp_contacts(setup["base"], email=first["email"])
    assert len(stored) == 1 and stored[0]["last_name"] == (first.get("lastName") or "")
    assert not RecordLink.objects.filter(left_record=second["id"]).exists()


# --- 2. a create and an update racing ------------------------------------------------------


def test_a_create_and_an_update_of_one_new_contact_racing_write_it_once(setup, monkeypatch):
    flow, ghl = setup["flow"], setup["ghl"]
    created = ghl.connector.call(
        "create-contact",
        body={"firstName": "Race", "lastName": "Condition", "email": "race@example.com"},
    )["contact"]
    # Runs are created while paused (queued, not sent), then executed by two threads.
    Integration.objects.filter(pk=flow.integration_id).update(status=IntegrationStatus.PAUSED)
    runs = [
        webhook_run(flow, created, "ContactCreate"),
        webhook_run(flow, {**created, "lastName": "Condition2"}, "ContactUpdate"),
    ]
    Integration.objects.filter(pk=flow.integration_id).update(status=IntegrationStatus.ACTIVE)

    # Both runs meet after looking the record up (no link, nothing with that email) and
    # before writing: without serialisation both then create it.
    barrier = threading.Barrier(2, timeout=3)
    original = engine._find_existing

    def find_then_meet(*args, **kwargs):  # type: ignore[no-untyped-def]
        found = original(*args, **kwargs)
        # Broken: the other run waits for our lock (serialised), so go on alone.
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait()
        return found

    monkeypatch.setattr(engine, "_find_existing", find_then_meet)
    errors: list[BaseException] = []

    def execute(run_id: int) -> None:
        try:
            engine.execute(run_id, lambda pk, delay=0: None)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            db_connection.close()

    threads = [threading.Thread(target=execute, args=(run.pk,)) for run in runs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    outcomes = [(r.status, r.error) for r in Run.objects.filter(pk__in=[r.pk for r in runs])]
    assert all(status in ("succeeded", "skipped") for status, _ in outcomes), outcomes
    assert len(yourapp_contacts(setup["base"], email="race@example.com")) == 1
    assert RecordLink.objects.filter(left_record=created["id"]).count() == 1


# --- 3. the polled operation ---------------------------------------------------------------


def test_polling_uses_the_chosen_operation(setup):
    ghl = setup["ghl"].connector
    with pytest.raises(ConnectorError) as info:
        ghl.poll({"operation": "get-all-tasks", "object": "task"}, "")
    assert info.value.permanent
    assert "get-all-tasks" in info.value.message and "cannot be polled" in info.value.message
    with pytest.raises(ConnectorError, match="update-contact"):
        ghl.poll({"operation": "update-contact"}, "")

    with http.recording() as calls:
        records, _ = ghl.poll({"operation": "get-contacts", "object": "contact"}, "")
    assert calls and all(c.method == "GET" and "/contacts/?" in c.url for c in calls)
    assert (
        len(records) == SandboxContact.objects.filter(location_id=ghl.connection.account_id).count()
    )

    with http.recording() as calls:
        searched, _ = ghl.poll({"object": "contact"}, "")  # the default: the search
    assert all(c.method == "POST" and c.url.endswith("/contacts/search") for c in calls)
    assert {r["id"] for r in searched} == {r["id"] for r in records}


# --- 4. every record, in workers, with progress ------------------------------------------


def seed_contacts(location_id: str, n: int) -> None:
    SandboxContact.objects.filter(location_id=location_id).delete()
    SandboxContact.objects.bulk_create(
        SandboxContact(
            location_id=location_id,
            first_name=f"Bulk{i}",
            last_name="Contact",
            name=f"Bulk{i} Contact",
            email=f"bulk{i}@example.com",
        )
        for i in range(n)
    )


def test_a_backfill_only_queues_a_task_which_lists_page_by_page(setup, owner, monkeypatch):
    flow, ghl = setup["flow"], setup["ghl"]
    seed_contacts(ghl.account_id, 45)
    sent: list[int] = []
    monkeypatch.setattr(tasks.list_batch, "delay", sent.append)
    backfill = lifecycle.start_backfill(flow, owner)
    assert sent == [backfill.pk]  # the request only creates the row and queues the task
    assert backfill.total == 0 and not backfill.runs.exists()
    assert not lifecycle.backfill_progress(backfill)["finished"]

    # Paused: the task's runs wait (queued), so each page's progress can be seen.
    Integration.objects.filter(pk=flow.integration_id).update(status=IntegrationStatus.PAUSED)
    monkeypatch.setattr(polling, "PAGE_SIZE", 20)
    totals: list[int] = []
    create_run = dispatch.create_run

    def noting(*args, **kwargs):  # type: ignore[no-untyped-def]
        totals.append(Backfill.objects.get(pk=backfill.pk).total)
        return create_run(*args, **kwargs)

    monkeypatch.setattr(polling, "create_run", noting)
    tasks.list_batch(backfill.pk)
    backfill.refresh_from_db()
    assert backfill.total == 45 and backfill.runs.count() == 45
    assert sorted(set(totals)) == [0, 20, 40]  # total grew page by page
    assert lifecycle.finish_batches(lambda pk: None) == 0  # its runs have not ended
    assert not lifecycle.backfill_progress(backfill)["finished"]
    tasks.list_batch(backfill.pk)  # a redelivered task queues nothing twice
    assert Backfill.objects.get(pk=backfill.pk).total == 45 and backfill.runs.count() == 45


def test_a_scheduled_full_sync_pages_through_1500_contacts(setup, settings, tmp_path):
    """Real worker processes list the batch page by page and run its 1,500 runs."""
    broker_available()
    flow, ghl, yourapp = setup["flow"], setup["ghl"], setup["yourapp"]
    seed_contacts(ghl.account_id, 1500)
    daily = Flow.objects.create(
        integration=flow.integration,
        name="Daily full sync",
        source=ghl,
        trigger_kind=TriggerKind.SCHEDULE,
        trigger_config={"every_minutes": 1440, "mode": "full"},
    )
    demo.sync_step(daily, yourapp)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    celery_app.conf.task_always_eager = False
    workers = [Worker(tmp_path / f"worker{n}.log", {}, concurrency=2) for n in range(2)]
    try:
        assert polling.poll(daily.pk) == 0  # the listing is a worker's job
        batch = Backfill.objects.get(flow=daily)
        wait_for(
            lambda: lifecycle.backfill_progress(Backfill.objects.get(pk=batch.pk))["finished"],
            timeout=180,
            interval=1,
            what="the batch to finish",
        )
    finally:
        for worker in workers:
            worker.stop()
        celery_app.conf.task_always_eager = True
    batch.refresh_from_db()
    assert batch.status == Backfill.Status.DONE and not batch.listing
    assert batch.total == 1500 and batch.runs.count() == 1500
    assert set(batch.runs.values_list("status", flat=True)) == {"succeeded"}
    stats = requests.get(setup["base"] + "/sandbox/yourapp/_control/stats", timeout=10).json()
    assert stats["contacts"] == 1500


# --- 5. dry run against a linked HighLevel record ------------------------------------------


def test_the_dry_run_diffs_against_the_linked_highlevel_contact(setup):
    flow, ghl, yourapp = setup["flow"], setup["ghl"], setup["yourapp"]
    contact = ghl_contacts(ghl, 1)[0]
    run = webhook_run(flow, contact, "ContactUpdate")
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED, run.error
    mine = yourapp_contacts(setup["base"], email=contact["email"])[0]
    back = {
        "object_type": "contact",
        "steps": [
            {
                "key": "pull",
                "operation": "upsert-contact",
                "update_operation": "update-contact",
                "record_mode": "sync",
                "target_id_param": "contactId",
                "mapping": [
                    {"target": "firstName", "source": "trigger.first_name"},
                    {"target": "lastName", "source": "trigger.last_name"},
                    {"target": "companyName", "source": "trigger.company"},
                ],
            }
        ],
    }
    [result] = dry_run(back, yourapp, ghl, {**mine, "last_name": "Changed"})
    assert result.action == "update" and result.target_id == contact["id"]
    assert "firstName" in result.unchanged
    changes = {c.field: (c.before, c.after) for c in result.changes}
    assert changes["lastName"] == (contact["lastName"], "Changed")
